"""Password resets: issued for an account whose owner cannot sign in (a forgotten
password, a lock-out), emailed to the owner who asked or handed over by the operator who
issued it; its token (stored as a digest) lets the owner choose a new password. It
expires, it is used once, and a newer one voids the older ones."""
from __future__ import annotations

from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot, new_id
from common.seedwork.errors import ValidationError

UNUSABLE = "Unknown, used or expired reset link."


class PasswordReset(AggregateRoot):
    def __init__(self, *, id: str, account_id: str, token_digest: str, issued_by: str,
                 created_at: datetime, expires_at: datetime, used_at: datetime | None = None):
        self.id = id
        self.account_id = account_id
        self.token_digest = token_digest
        self.issued_by = issued_by
        self.created_at = created_at
        self.expires_at = expires_at
        self.used_at = used_at

    @classmethod
    def issue(cls, *, account_id: str, token_digest: str, issued_by: str, now: datetime,
              lifetime: timedelta) -> "PasswordReset":
        return cls(id=new_id(), account_id=account_id, token_digest=token_digest,
                   issued_by=issued_by, created_at=now, expires_at=now + lifetime)

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at

    def use(self, now: datetime) -> None:
        if not self.usable(now):
            raise ValidationError(fields={"token": [UNUSABLE]})
        self.used_at = now
