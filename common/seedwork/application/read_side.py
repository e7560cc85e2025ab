"""What every service's read side shares (views: SQLAlchemy Core ``select()`` over the
service's ``tables.py`` straight to DTOs, skipping the domain).

The tables' column types do the normalising, the same on SQLite and PostgreSQL:
``UTCDateTime`` hands back aware UTC datetimes, ``DecimalType`` exact Decimals without
padding, ``JSON`` parsed values, ``Date`` dates, ``Boolean`` bools. What is left here:

* ``time_text``, ``day_text``, ``money_dict``, ``amount_text``: a value to its wire shape;
* ``equal_to`` and ``Listing``: a filtered, ordered, paged listing
  (``{"items", "page", "page_size", "total"}``). Its statements are built once per
  combination of filters in use and bound by parameter, so SQLAlchemy's compiled cache
  answers every call after the first.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, bindparam, func, select
from sqlalchemy.engine import Connection

from common.seedwork.domain.clock import isoformat
from common.seedwork.domain.money import Money


def time_text(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z`` (None stays None)."""
    return None if value is None else isoformat(value)


def day_text(value: date | None) -> str | None:
    """``YYYY-MM-DD`` (None stays None)."""
    return None if value is None else value.isoformat()


def money_dict(amount: Decimal | None, currency: str | None) -> dict[str, str] | None:
    """``{"amount": "12.50", "currency": "USD"}`` (None when there is no amount)."""
    if amount is None or currency is None:
        return None
    return Money(amount, currency).to_dict()


def amount_text(amount: Decimal, currency: str) -> str:
    """The amount alone, as a decimal string padded to the currency's minor unit."""
    return Money(amount, currency).format_amount()


def equal_to(*columns) -> dict[str, ColumnElement[bool]]:
    """``{name: column = :name}`` for each column: the usual filters of a listing."""
    return {column.name: column == bindparam(column.name) for column in columns}


_LIMIT = bindparam("page_limit", type_=Integer)
_OFFSET = bindparam("page_offset", type_=Integer)


class Listing:
    """One paged listing: ``columns`` of one table, ``order_by`` (end it with a unique
    column so pages never overlap), and named ``filters`` — conditions with a bound
    parameter of the same name (``equal_to`` builds the usual ones; ranges are written
    out: ``{"start": table.c.occurred_at >= bindparam("start")}``). A filter is used when
    its value is given and is neither None nor empty."""

    def __init__(self, *columns, order_by: Sequence[ColumnElement],
                 filters: Mapping[str, ColumnElement[bool]] | None = None):
        self._rows = select(*columns)
        self._froms = self._rows.get_final_froms()
        self._order_by = tuple(order_by)
        self._filters = dict(filters or {})
        self._statements: dict[tuple[str, ...], tuple[Select, Select]] = {}

    def page(self, conn: Connection, *, page: int, page_size: int,
             items: Callable[[Sequence[Row]], list[dict]], **filters: Any) -> dict:
        """One page and the total over all pages; ``items`` turns the page's rows into
        DTOs (all at once, so it can fetch what they share in one query)."""
        unknown = set(filters) - set(self._filters)
        if unknown:
            raise TypeError(f"not a filter of this listing: {sorted(unknown)}")
        used = {name: value for name, value in filters.items() if value not in (None, "")}
        count, rows = self._statements_for(tuple(name for name in self._filters
                                                 if name in used))
        total = conn.execute(count, used).scalar_one()
        found = conn.execute(rows, {**used, "page_limit": page_size,
                                    "page_offset": (page - 1) * page_size}).all()
        return {"items": items(found), "page": page, "page_size": page_size, "total": total}

    def _statements_for(self, names: tuple[str, ...]) -> tuple[Select, Select]:
        statements = self._statements.get(names)
        if statements is None:
            where = [self._filters[name] for name in names]
            statements = (
                select(func.count()).select_from(*self._froms).where(*where),
                self._rows.where(*where).order_by(*self._order_by)
                .limit(_LIMIT).offset(_OFFSET),
            )
            self._statements[names] = statements
        return statements
