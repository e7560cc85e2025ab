"""What the identity use cases need from the outside world (implemented in infrastructure)."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from services.identity.domain.accounts import Account
from services.identity.domain.api_keys import ApiKey
from services.identity.domain.invitations import Invitation
from services.identity.domain.password_resets import PasswordReset
from services.identity.domain.sessions import Session
from services.identity.domain.throttling import LoginThrottle


class AccountRepository(Protocol):
    def add(self, account: Account) -> None:
        """Raises Conflict when the email (any case) or the partner has an account."""
    def save(self, account: Account) -> None: ...
    def get(self, account_id: str, *, for_update: bool = False) -> Account | None: ...
    def get_by_email(self, email: str) -> Account | None: ...
    def delete(self, account: Account) -> None: ...
    def awaiting_partner(self, unchanged_since: datetime, limit: int) -> list[Account]:
        """Partner accounts awaiting their partner, unchanged since then, oldest first."""
    def of_brand(self, brand_id: str) -> list[Account]:
        """The brand's users, removed ones too (oldest first)."""
    def of_partner(self, partner_id: str) -> list[Account]:
        """The partner's account (a partner has one at most), as a list: none or it."""


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...
    def save(self, session: Session) -> None: ...
    def get(self, session_id: str, *, for_update: bool = False) -> Session | None: ...
    def get_by_token(self, token_digest: str) -> Session | None: ...
    def open_of(self, account_id: str) -> list[Session]:
        """The account's sessions not revoked (expired ones included: revoking is cheap)."""
    def purge(self, ended_before: datetime) -> int: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def save(self, key: ApiKey) -> None: ...
    def get(self, api_key_id: str, *, for_update: bool = False) -> ApiKey | None: ...
    def get_by_digest(self, secret_digest: str) -> ApiKey | None: ...


class InvitationRepository(Protocol):
    def add(self, invitation: Invitation) -> None: ...
    def save(self, invitation: Invitation) -> None: ...
    def get(self, invitation_id: str, *, for_update: bool = False) -> Invitation | None: ...
    def get_by_token(self, token_digest: str) -> Invitation | None: ...


class PasswordResetRepository(Protocol):
    def add(self, reset: PasswordReset) -> None: ...
    def save(self, reset: PasswordReset) -> None: ...
    def get_by_token(self, token_digest: str) -> PasswordReset | None: ...
    def void_unused(self, account_id: str, now: datetime) -> int: ...
    def last_issued_at(self, account_id: str) -> datetime | None:
        """When the account's newest link was issued (used, voided or not)."""
    def purge(self, ended_before: datetime) -> int: ...


class ThrottleRepository(Protocol):
    def get(self, key: str, *, for_update: bool = False) -> LoginThrottle | None: ...
    def put(self, throttle: LoginThrottle) -> None: ...
    def purge(self, older_than: datetime) -> int: ...


class IdentityUnitOfWork(UnitOfWork, Protocol):
    accounts: AccountRepository
    sessions: SessionRepository
    api_keys: ApiKeyRepository
    invitations: InvitationRepository
    password_resets: PasswordResetRepository
    throttles: ThrottleRepository


class PartnerDirectory(Protocol):
    """What partners knows of a partner id (its RPC in infrastructure/partners.py)."""

    def has_partner(self, partner_id: str) -> bool:
        """True if partners has that partner, False if it has none; ServiceUnavailable
        when it cannot say (not running, no answer in time)."""


class PasswordHasher(Protocol):
    """argon2id in production (infrastructure/passwords.py), a cheap fake in unit tests."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no hash (unknown account) it still runs a
        full verification against a dummy hash and answers False: same cost either way."""

    def needs_rehash(self, password_hash: str) -> bool: ...



@dataclasses.dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    """Sends an email (infrastructure/mail.py: a Maildir, or SMTP in the background)."""

    def send(self, message: MailMessage) -> None: ...
