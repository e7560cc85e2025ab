"""Small SQL helpers the repositories share: dialect-aware upserts and chunked IN lists."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

T = TypeVar("T")
IN_CHUNK = 500  # keeps every statement well under SQLite's bound-parameter limit


def upsert(connection: Connection, table: Table):
    """``INSERT ... ON CONFLICT`` of the connection's dialect (SQLite and PostgreSQL
    share the ``on_conflict_do_update``/``on_conflict_do_nothing`` API)."""
    return upsert_for(connection.dialect.name, table)


def upsert_for(dialect: str, table: Table):
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
