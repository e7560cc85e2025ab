"""Browser sessions: server-side, revocable, with an idle and an absolute expiry.

The session's token (its cookie) and its CSRF token are never stored: only their
digests. A session is open until it is revoked, its absolute expiry passes, or it goes
unused for longer than the idle timeout (``last_seen_at`` is moved forward at most once
per touch interval, not on every request).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot, new_id


class Session(AggregateRoot):
    def __init__(self, *, id: str, account_id: str, token_digest: str, csrf_digest: str,
                 created_at: datetime, last_seen_at: datetime, expires_at: datetime,
                 ip: str | None = None, user_agent: str | None = None,
                 revoked_at: datetime | None = None, revoked_reason: str | None = None):
        self.id = id
        self.account_id = account_id
        self.token_digest = token_digest
        self.csrf_digest = csrf_digest
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.expires_at = expires_at
        self.ip = ip
        self.user_agent = user_agent
        self.revoked_at = revoked_at
        self.revoked_reason = revoked_reason

    @classmethod
    def open(cls, *, account_id: str, token_digest: str, csrf_digest: str, now: datetime,
             lifetime: timedelta, ip: str | None = None,
             user_agent: str | None = None) -> "Session":
        return cls(id=new_id(), account_id=account_id, token_digest=token_digest,
                   csrf_digest=csrf_digest, created_at=now, last_seen_at=now,
                   expires_at=now + lifetime, ip=ip, user_agent=user_agent)

    def valid_until(self, idle_timeout: timedelta) -> datetime:
        """When it ends if nothing happens: the idle or the absolute expiry, the sooner."""
        return min(self.expires_at, self.last_seen_at + idle_timeout)

    def is_open(self, now: datetime, idle_timeout: timedelta) -> bool:
        return self.revoked_at is None and now < self.valid_until(idle_timeout)

    def touch_due(self, now: datetime, interval: timedelta) -> bool:
        return now - self.last_seen_at >= interval

    def touch(self, now: datetime, interval: timedelta) -> bool:
        """Record activity, at most once per ``interval`` (coalesced writes)."""
        if self.revoked_at is not None or not self.touch_due(now, interval):
            return False
        self.last_seen_at = now
        return True

    def revoke(self, now: datetime, reason: str) -> bool:
        """True if this closed it (a revoked session stays revoked, first reason kept)."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        self.revoked_reason = reason
        return True
