"""API keys: how a brand's servers call the API (conversion postbacks, reads).

A key is random (256 bits of secret after a public prefix), shown once to whoever made
it and stored only as a SHA-256 digest: with that much entropy a fast hash is as safe as
a slow one, and it keeps verification cheap on hot paths (argon2 is for passwords, which
people choose). It has a name, scopes that bound what it may do, a last-used time
(recorded at most once per interval) and, once revoked, is refused for good.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.domain.events import DomainEvent
from common.seedwork.errors import ValidationError

CONVERSIONS_WRITE = "conversions:write"
REPORTS_READ = "reports:read"
SCOPES = (CONVERSIONS_WRITE, REPORTS_READ)
MAX_NAME = 100


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyIssued(DomainEvent):
    api_key_id: str
    brand_id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_by: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(DomainEvent):
    api_key_id: str
    brand_id: str
    revoked_by: str


def checked_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(scopes or ()))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if not chosen or unknown:
        raise ValidationError(fields={"scopes": [
            f"Give one or more of: {', '.join(SCOPES)}."]})
    return chosen


class ApiKey(AggregateRoot):
    def __init__(self, *, id: str, brand_id: str, name: str, prefix: str, secret_digest: str,
                 scopes: Iterable[str], created_by: str, created_at: datetime,
                 last_used_at: datetime | None = None, revoked_at: datetime | None = None,
                 revoked_by: str | None = None):
        self.id = id
        self.brand_id = brand_id
        self.name = name
        self.prefix = prefix
        self.secret_digest = secret_digest
        self.scopes = tuple(scopes)
        self.created_by = created_by
        self.created_at = created_at
        self.last_used_at = last_used_at
        self.revoked_at = revoked_at
        self.revoked_by = revoked_by

    @classmethod
    def issue(cls, *, id: str, brand_id: str, name: str, prefix: str, secret_digest: str,
              scopes: Iterable[str], created_by: str, now: datetime) -> "ApiKey":
        name = (name or "").strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise ValidationError(fields={"name": [f"Give 1 to {MAX_NAME} characters."]})
        key = cls(id=id, brand_id=brand_id, name=name, prefix=prefix,
                  secret_digest=secret_digest, scopes=checked_scopes(scopes),
                  created_by=created_by, created_at=now)
        key.record(ApiKeyIssued(api_key_id=id, brand_id=brand_id, name=name, prefix=prefix,
                                scopes=key.scopes, created_by=created_by, occurred_at=now))
        return key

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def touch_due(self, now: datetime, interval: timedelta) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= interval

    def touch(self, now: datetime, interval: timedelta) -> bool:
        if not self.active or not self.touch_due(now, interval):
            return False
        self.last_used_at = now
        return True

    def revoke(self, now: datetime, by: str) -> bool:
        """Revoking a revoked key changes nothing (and publishes nothing)."""
        if not self.active:
            return False
        self.revoked_at = now
        self.revoked_by = by
        self.record(ApiKeyRevoked(api_key_id=self.id, brand_id=self.brand_id, revoked_by=by,
                                  occurred_at=now))
        return True
