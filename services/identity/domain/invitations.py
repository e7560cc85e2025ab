"""Invitations of brand users: an admin or the brand's owner invites an email with a
brand role; the invitation's token (shown once, stored as a digest) lets that person
choose a password and so create the account. It expires; it is used once; until then
the inviter's side may revoke it (a mistyped email, a change of mind)."""
from __future__ import annotations

from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot, new_id
from common.seedwork.errors import Conflict, ValidationError
from services.identity.domain.accounts import BrandRole, normalize_email

UNUSABLE = "Unknown, used or expired invitation."
ACCEPTED = "Already accepted: remove the user instead."


class Invitation(AggregateRoot):
    def __init__(self, *, id: str, brand_id: str, email: str, brand_role: BrandRole,
                 token_digest: str, invited_by: str, created_at: datetime,
                 expires_at: datetime, accepted_at: datetime | None = None,
                 account_id: str | None = None, revoked_at: datetime | None = None):
        self.id = id
        self.brand_id = brand_id
        self.email = email
        self.brand_role = BrandRole(brand_role)
        self.token_digest = token_digest
        self.invited_by = invited_by
        self.created_at = created_at
        self.expires_at = expires_at
        self.accepted_at = accepted_at
        self.account_id = account_id
        self.revoked_at = revoked_at

    @classmethod
    def issue(cls, *, brand_id: str, email: str, brand_role: BrandRole, token_digest: str,
              invited_by: str, now: datetime, lifetime: timedelta) -> "Invitation":
        return cls(id=new_id(), brand_id=brand_id, email=normalize_email(email),
                   brand_role=brand_role, token_digest=token_digest, invited_by=invited_by,
                   created_at=now, expires_at=now + lifetime)

    def pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at

    def revoke(self, now: datetime) -> bool:
        """Its link stops working. False: it was revoked already (nothing changes); an
        accepted one cannot be: its account exists (``Conflict``)."""
        if self.accepted_at is not None:
            raise Conflict(ACCEPTED, {"invitation_id": [ACCEPTED]})
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        return True

    def accept(self, account_id: str, now: datetime) -> None:
        if not self.pending(now):
            raise ValidationError(fields={"token": [UNUSABLE]})
        self.accepted_at = now
        self.account_id = account_id
