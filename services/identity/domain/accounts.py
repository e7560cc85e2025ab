"""Accounts: the people who log in -- partners, brand users, admins.

An account is bound to what it acts for: a partner account to its ``partner_id`` (made
at sign-up), a brand user to a ``brand_id`` with a brand role (owner or member, from an
invitation), an admin to nothing. Emails are unique case-insensitively across every
account. A removed brand user keeps its row (REMOVED): it can no longer log in and its
sessions are revoked.

A partner account is made before its partner is registered (sign-up's two steps), so
until partners is known to have that partner the account is *awaiting its partner*.
One left so past ``abandoned_after`` (a sign-up cut short and never finished) is swept:
withdrawn if partners has no such partner, confirmed if it has.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot, new_id
from common.seedwork.domain.events import DomainEvent
from services.identity.domain.sessions import Session


class Role(str, enum.Enum):
    ADMIN = "admin"
    BRAND = "brand"
    PARTNER = "partner"


class BrandRole(str, enum.Enum):
    OWNER = "owner"
    MEMBER = "member"


class AccountStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


class RevocationReason(str, enum.Enum):
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    ACCOUNT_REMOVED = "account_removed"
    PASSWORD_CHANGED = "password_changed"


def normalize_email(email: str) -> str:
    """Emails are compared (and stored) trimmed and lower case."""
    return (email or "").strip().lower()


# --- events -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountCreated(DomainEvent):
    account_id: str
    email: str
    role: Role
    partner_id: str | None
    brand_id: str | None
    brand_role: BrandRole | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountWithdrawn(DomainEvent):
    """A partner account made at sign-up whose partner partners refused (its email is
    another partner's, or its details are invalid): deleted, its email free again."""
    account_id: str
    email: str
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionsRevoked(DomainEvent):
    account_id: str
    session_ids: tuple[str, ...]
    reason: RevocationReason


# --- aggregate ----------------------------------------------------------------------------
class Account(AggregateRoot):
    def __init__(self, *, id: str, email: str, role: Role, password_hash: str,
                 status: AccountStatus, created_at: datetime, updated_at: datetime,
                 partner_id: str | None = None, brand_id: str | None = None,
                 brand_role: BrandRole | None = None, removed_at: datetime | None = None,
                 partner_confirmed_at: datetime | None = None):
        self.id = id
        self.email = email
        self.role = Role(role)
        self.password_hash = password_hash
        self.status = AccountStatus(status)
        self.created_at = created_at
        self.updated_at = updated_at
        self.partner_id = partner_id
        self.brand_id = brand_id
        self.brand_role = BrandRole(brand_role) if brand_role else None
        self.removed_at = removed_at
        self.partner_confirmed_at = partner_confirmed_at  # partners has the partner

    @classmethod
    def create(cls, *, email: str, role: Role, password_hash: str, now: datetime,
               partner_id: str | None = None, brand_id: str | None = None,
               brand_role: BrandRole | None = None) -> "Account":
        account = cls(id=new_id(), email=normalize_email(email), role=role,
                      password_hash=password_hash, status=AccountStatus.ACTIVE,
                      created_at=now, updated_at=now, partner_id=partner_id,
                      brand_id=brand_id, brand_role=brand_role)
        account.record(AccountCreated(
            account_id=account.id, email=account.email, role=account.role,
            partner_id=partner_id, brand_id=brand_id, brand_role=account.brand_role,
            occurred_at=now))
        return account

    @classmethod
    def admin(cls, *, email: str, password_hash: str, now: datetime) -> "Account":
        return cls.create(email=email, role=Role.ADMIN, password_hash=password_hash, now=now)

    @classmethod
    def partner(cls, *, email: str, partner_id: str, password_hash: str,
                now: datetime) -> "Account":
        return cls.create(email=email, role=Role.PARTNER, password_hash=password_hash,
                          now=now, partner_id=partner_id)

    @classmethod
    def brand_user(cls, *, email: str, brand_id: str, brand_role: BrandRole,
                   password_hash: str, now: datetime) -> "Account":
        return cls.create(email=email, role=Role.BRAND, password_hash=password_hash, now=now,
                          brand_id=brand_id, brand_role=BrandRole(brand_role))

    @property
    def active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    def made_for_partner(self, partner_id: str) -> bool:
        return self.role is Role.PARTNER and self.partner_id == partner_id

    @property
    def awaiting_partner(self) -> bool:
        """A partner account whose partner partners has not been seen to have yet."""
        return self.role is Role.PARTNER and self.partner_confirmed_at is None

    def abandoned(self, now: datetime, after: timedelta) -> bool:
        """Awaiting its partner and unchanged for ``after``: a sign-up nobody finished."""
        return self.awaiting_partner and self.updated_at <= now - after

    def sign_up_resumed(self, now: datetime) -> None:
        """Signing up again to finish: the sign-up is not abandoned (the sweep waits)."""
        self.updated_at = now

    def confirm_partner(self, now: datetime) -> None:
        """Partners has this account's partner: the sign-up was finished."""
        if self.awaiting_partner:
            self.partner_confirmed_at = now
            self.updated_at = now

    def withdraw(self, now: datetime) -> None:
        """Sign-up undone: the partner this account was made for was never registered.
        The repository deletes the row (an email is unique across every account, removed
        ones too, so only a deleted account frees it)."""
        self.record(AccountWithdrawn(account_id=self.id, email=self.email,
                                     partner_id=self.partner_id, occurred_at=now))

    def belongs_to_brand(self, brand_id: str) -> bool:
        return self.role is Role.BRAND and self.brand_id == brand_id

    def change_password(self, password_hash: str, sessions: Iterable[Session], *,
                        keep: str | None, now: datetime) -> list[str]:
        """A new password (its hash), chosen by the account's owner: every open session
        but ``keep`` (the one that changed it) ends, as whoever else held one may not
        know the new password. Returns the sessions revoked."""
        self.password_hash = password_hash
        self.updated_at = now
        return self.revoke_sessions([s for s in sessions if s.id != keep],
                                    RevocationReason.PASSWORD_CHANGED, now)

    def rehash(self, password_hash: str, now: datetime) -> None:
        """The same password under stronger hashing parameters (at log-in)."""
        self.password_hash = password_hash
        self.updated_at = now

    def revoke_sessions(self, sessions: Iterable[Session], reason: RevocationReason,
                        now: datetime) -> list[str]:
        """Revoke those of ``sessions`` still open; one event names them all."""
        revoked = [session.id for session in sessions
                   if session.account_id == self.id and session.revoke(now, reason.value)]
        if revoked:
            self.updated_at = now
            self.record(SessionsRevoked(account_id=self.id, session_ids=tuple(revoked),
                                        reason=reason, occurred_at=now))
        return revoked

    def remove(self, sessions: Iterable[Session], now: datetime) -> list[str]:
        """A brand user taken off its brand: it cannot log in again, and every session it
        has is revoked. Removing a removed account changes nothing."""
        if self.status is AccountStatus.REMOVED:
            return []
        self.status = AccountStatus.REMOVED
        self.removed_at = now
        return self.revoke_sessions(sessions, RevocationReason.ACCOUNT_REMOVED, now)
