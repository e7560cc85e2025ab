from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import Conflict
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.identity.domain.accounts import Account, Role
from services.identity.domain.api_keys import ApiKey
from services.identity.domain.invitations import Invitation
from services.identity.domain.password_resets import PasswordReset
from services.identity.domain.sessions import Session
from services.identity.domain.throttling import LoginThrottle
from services.identity.infrastructure.tables import (
    accounts,
    api_keys,
    invitations,
    login_throttles,
    password_resets,
    sessions,
)


class SqlAccountRepository(SqlAlchemyRepository[Account]):
    table = accounts
    _BY_EMAIL = select(accounts).where(func.lower(accounts.c.email) == bindparam("email"))

    def add(self, account: Account) -> None:
        """The unique indexes (email in any case, partner) decide: no race."""
        try:
            super().add(account)
        except IntegrityError:
            raise Conflict("This email already has an account.",
                           {"email": ["Already has an account."]}) from None

    _AWAITING_PARTNER = (
        select(accounts)
        .where(accounts.c.role == literal(Role.PARTNER.value, literal_execute=True),  # index
               accounts.c.partner_confirmed_at.is_(None),
               accounts.c.updated_at <= bindparam("unchanged_since"))
        .order_by(accounts.c.updated_at).limit(bindparam("limit")))

    def get_by_email(self, email: str) -> Account | None:
        return self._one(self._BY_EMAIL, {"email": email.strip().lower()})

    def awaiting_partner(self, unchanged_since: datetime, limit: int) -> list[Account]:
        """Partner accounts still awaiting their partner, unchanged since then, oldest
        change first."""
        return self._many(self._AWAITING_PARTNER.params(unchanged_since=unchanged_since,
                                                        limit=limit))

    _OF_BRAND = (select(accounts).where(accounts.c.brand_id == bindparam("brand_id"))
                 .order_by(accounts.c.created_at, accounts.c.id))
    _OF_PARTNER = select(accounts).where(accounts.c.partner_id == bindparam("partner_id"))

    def of_brand(self, brand_id: str) -> list[Account]:
        return self._many(self._OF_BRAND.params(brand_id=brand_id))

    def of_partner(self, partner_id: str) -> list[Account]:
        return self._many(self._OF_PARTNER.params(partner_id=partner_id))

    def delete(self, account: Account) -> None:
        """The account's row and its sessions (its events still leave with the commit)."""
        self.connection.execute(delete(sessions).where(sessions.c.account_id == account.id))
        self.connection.execute(delete(accounts).where(accounts.c.id == account.id))
        self._track(account)

    def _to_row(self, account: Account) -> dict:
        return {"id": account.id, "email": account.email, "role": account.role.value,
                "partner_id": account.partner_id, "brand_id": account.brand_id,
                "brand_role": account.brand_role.value if account.brand_role else None,
                "password_hash": account.password_hash, "status": account.status.value,
                "created_at": account.created_at, "updated_at": account.updated_at,
                "removed_at": account.removed_at,
                "partner_confirmed_at": account.partner_confirmed_at}

    def _from_row(self, row) -> Account:
        return Account(id=row.id, email=row.email, role=row.role,
                       password_hash=row.password_hash, status=row.status,
                       created_at=row.created_at, updated_at=row.updated_at,
                       partner_id=row.partner_id, brand_id=row.brand_id,
                       brand_role=row.brand_role, removed_at=row.removed_at,
                       partner_confirmed_at=row.partner_confirmed_at)


class SqlSessionRepository(SqlAlchemyRepository[Session]):
    table = sessions
    _BY_TOKEN = select(sessions).where(sessions.c.token_digest == bindparam("digest"))
    _OPEN_OF = select(sessions).where(sessions.c.account_id == bindparam("account_id"),
                                      sessions.c.revoked_at.is_(None))

    def get_by_token(self, token_digest: str) -> Session | None:
        return self._one(self._BY_TOKEN, {"digest": token_digest})

    def open_of(self, account_id: str) -> list[Session]:
        return self._many(self._OPEN_OF.params(account_id=account_id))

    def purge(self, ended_before: datetime) -> int:
        return self.connection.execute(delete(sessions).where(or_(
            sessions.c.revoked_at < ended_before, sessions.c.expires_at < ended_before,
            sessions.c.last_seen_at < ended_before))).rowcount

    def _to_row(self, session: Session) -> dict:
        return {"id": session.id, "account_id": session.account_id,
                "token_digest": session.token_digest, "csrf_digest": session.csrf_digest,
                "created_at": session.created_at, "last_seen_at": session.last_seen_at,
                "expires_at": session.expires_at, "ip": session.ip,
                "user_agent": session.user_agent, "revoked_at": session.revoked_at,
                "revoked_reason": session.revoked_reason}

    def _from_row(self, row) -> Session:
        return Session(id=row.id, account_id=row.account_id, token_digest=row.token_digest,
                       csrf_digest=row.csrf_digest, created_at=row.created_at,
                       last_seen_at=row.last_seen_at, expires_at=row.expires_at, ip=row.ip,
                       user_agent=row.user_agent, revoked_at=row.revoked_at,
                       revoked_reason=row.revoked_reason)


class SqlApiKeyRepository(SqlAlchemyRepository[ApiKey]):
    table = api_keys
    _BY_DIGEST = select(api_keys).where(api_keys.c.secret_digest == bindparam("digest"))

    def get_by_digest(self, secret_digest: str) -> ApiKey | None:
        return self._one(self._BY_DIGEST, {"digest": secret_digest})

    def _to_row(self, key: ApiKey) -> dict:
        return {"id": key.id, "brand_id": key.brand_id, "name": key.name, "prefix": key.prefix,
                "secret_digest": key.secret_digest, "scopes": list(key.scopes),
                "created_by": key.created_by, "created_at": key.created_at,
                "last_used_at": key.last_used_at, "revoked_at": key.revoked_at,
                "revoked_by": key.revoked_by}

    def _from_row(self, row) -> ApiKey:
        return ApiKey(id=row.id, brand_id=row.brand_id, name=row.name, prefix=row.prefix,
                      secret_digest=row.secret_digest, scopes=row.scopes,
                      created_by=row.created_by, created_at=row.created_at,
                      last_used_at=row.last_used_at, revoked_at=row.revoked_at,
                      revoked_by=row.revoked_by)


class SqlInvitationRepository(SqlAlchemyRepository[Invitation]):
    table = invitations
    _BY_TOKEN = select(invitations).where(invitations.c.token_digest == bindparam("digest"))

    def get_by_token(self, token_digest: str) -> Invitation | None:
        return self._one(self._BY_TOKEN, {"digest": token_digest})

    def _to_row(self, invitation: Invitation) -> dict:
        return {"id": invitation.id, "brand_id": invitation.brand_id,
                "email": invitation.email, "brand_role": invitation.brand_role.value,
                "token_digest": invitation.token_digest, "invited_by": invitation.invited_by,
                "created_at": invitation.created_at, "expires_at": invitation.expires_at,
                "accepted_at": invitation.accepted_at, "account_id": invitation.account_id,
                "revoked_at": invitation.revoked_at}

    def _from_row(self, row) -> Invitation:
        return Invitation(id=row.id, brand_id=row.brand_id, email=row.email,
                          brand_role=row.brand_role, token_digest=row.token_digest,
                          invited_by=row.invited_by, created_at=row.created_at,
                          expires_at=row.expires_at, accepted_at=row.accepted_at,
                          account_id=row.account_id, revoked_at=row.revoked_at)


class SqlPasswordResetRepository(SqlAlchemyRepository[PasswordReset]):
    table = password_resets
    _BY_TOKEN = select(password_resets).where(
        password_resets.c.token_digest == bindparam("digest"))

    def get_by_token(self, token_digest: str) -> PasswordReset | None:
        return self._one(self._BY_TOKEN, {"digest": token_digest})

    def void_unused(self, account_id: str, now: datetime) -> int:
        """The account's resets not used yet stop working (a newer one is issued)."""
        return self.connection.execute(
            update(password_resets)
            .where(password_resets.c.account_id == account_id,
                   password_resets.c.used_at.is_(None))
            .values(used_at=now, version=password_resets.c.version + 1)).rowcount

    def last_issued_at(self, account_id: str) -> datetime | None:
        return self.connection.execute(
            select(func.max(password_resets.c.created_at))
            .where(password_resets.c.account_id == account_id)).scalar()

    def purge(self, ended_before: datetime) -> int:
        return self.connection.execute(delete(password_resets).where(or_(
            password_resets.c.used_at < ended_before,
            password_resets.c.expires_at < ended_before))).rowcount

    def _to_row(self, reset: PasswordReset) -> dict:
        return {"id": reset.id, "account_id": reset.account_id,
                "token_digest": reset.token_digest, "issued_by": reset.issued_by,
                "created_at": reset.created_at, "expires_at": reset.expires_at,
                "used_at": reset.used_at}

    def _from_row(self, row) -> PasswordReset:
        return PasswordReset(id=row.id, account_id=row.account_id,
                             token_digest=row.token_digest, issued_by=row.issued_by,
                             created_at=row.created_at, expires_at=row.expires_at,
                             used_at=row.used_at)


class SqlThrottleRepository:
    """Counters by key, upserted (no version: the last failure written wins)."""

    _GET = select(login_throttles).where(login_throttles.c.key == bindparam("key"))

    def __init__(self, connection: Connection):
        self.connection = connection
        self.seen: dict = {}  # no aggregate, no events: the unit of work finds none here

    def get(self, key: str, *, for_update: bool = False) -> LoginThrottle | None:
        query = self._GET
        if for_update and self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.connection.execute(query, {"key": key}).first()
        if row is None:
            return None
        return LoginThrottle(key=row.key, failures=row.failures,
                             window_started_at=row.window_started_at,
                             locked_until=row.locked_until)

    def put(self, throttle: LoginThrottle) -> None:
        values = {"key": throttle.key, "failures": throttle.failures,
                  "window_started_at": throttle.window_started_at,
                  "locked_until": throttle.locked_until, "updated_at": utcnow()}
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(login_throttles).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[login_throttles.c.key],
            set_={name: statement.excluded[name] for name in values if name != "key"})
        self.connection.execute(statement)

    def purge(self, older_than: datetime) -> int:
        return self.connection.execute(delete(login_throttles).where(
            login_throttles.c.updated_at < older_than,
            or_(login_throttles.c.locked_until.is_(None),
                login_throttles.c.locked_until < older_than))).rowcount


__all__ = ["SqlAccountRepository", "SqlSessionRepository", "SqlApiKeyRepository",
           "SqlInvitationRepository", "SqlThrottleRepository"]
