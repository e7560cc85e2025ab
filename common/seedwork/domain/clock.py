"""Time, always timezone-aware UTC."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken to be UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` suffix, e.g. ``2026-11-29T12:00:00.123456Z``."""
    return as_utc(value).isoformat().replace("+00:00", "Z")
