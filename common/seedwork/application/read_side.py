"""Helpers for views (the read side: SQL ``text()`` queries straight to DTOs).

* Values: through ``text()`` SQLite returns times, decimals and JSON as text while
  PostgreSQL returns naive datetimes, padded NUMERICs and parsed JSON; these turn each
  into the one shape the DTOs promise.
* ``filtered_page``: the rows and total of a filtered, ordered, paged listing.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from common.seedwork.domain.clock import as_utc, isoformat
from common.seedwork.domain.money import Money


def time_text(value: Any) -> str | None:
    """UTC ISO 8601 with ``Z`` (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return isoformat(as_utc(value))


def day_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if isinstance(value, date) else str(value)


def money_dict(amount: Any, currency: str | None) -> dict[str, str] | None:
    """``{"amount": "12.50", "currency": "USD"}`` (None when there is no amount)."""
    if amount is None or currency is None:
        return None
    return Money(decimal(amount), currency).to_dict()


def amount_text(amount: Any, currency: str) -> str:
    """The amount alone, as a decimal string padded to the currency's minor unit."""
    return Money(decimal(amount), currency).format_amount()


def decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def filtered_page(conn: Connection, *, table: str, columns: str, filters: dict[str, Any],
                  order_by: str, page: int, page_size: int) -> tuple[list, int]:
    """Rows of ``table`` whose columns equal the given (non-empty) filter values, and
    how many there are in all. Column names come from code, never from callers."""
    used = {column: value for column, value in filters.items() if value}
    where = " AND ".join(f"{column} = :{column}" for column in used)
    where = f"WHERE {where}" if where else ""
    total = conn.execute(text(f"SELECT count(*) FROM {table} {where}"), used).scalar()
    rows = conn.execute(
        text(f"SELECT {columns} FROM {table} {where} ORDER BY {order_by} "
             "LIMIT :limit OFFSET :offset"),
        {**used, "limit": page_size, "offset": (page - 1) * page_size}).all()
    return rows, total
