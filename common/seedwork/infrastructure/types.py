"""Column types that keep values exact on every backend.

* ``DecimalType``: NUMERIC(28, 10) on PostgreSQL; on SQLite (which has no decimal type and
  would silently store REAL) the canonical decimal *text*. Never a float. Money sums are
  therefore done in Python with Decimal, not with SQL SUM over SQLite text.
* ``UTCDateTime``: stores naive UTC, hands back aware UTC datetimes.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator


class DecimalType(TypeDecorator):
    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(28, 10, asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("floats are never stored as decimals")
        value = Decimal(value)
        if dialect.name == "postgresql":
            return value
        return format(value, "f")

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return _without_padding(Decimal(value))


def _without_padding(value: Decimal) -> Decimal:
    """Drop the trailing zeros NUMERIC(28, 10) pads with, so both backends agree."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text or "0")


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - raw SQLite text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)
