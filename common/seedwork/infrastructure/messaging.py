"""The outbox and inbox tables every service database carries.

``outbox_messages``: integration events written in the business transaction; the relay
publishes them and stamps ``published_at``. A lease (``locked_by``/``locked_until``) lets
several instances sweep the same table without publishing a row at the same time.

``inbox_messages``: ``(consumer, event_id)`` of every event a handler has applied.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.types import UTCDateTime

POSITION = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox_messages", metadata,
        Column("position", POSITION, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("source", String(50), nullable=False),
        Column("message", JSON, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True),
        Column("publish_attempts", Integer, nullable=False, default=0),
        Column("locked_by", String(64), nullable=True),
        Column("locked_until", UTCDateTime(), nullable=True),
        Index("ix_outbox_unpublished", "published_at", "position"),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox_messages", metadata,
        Column("consumer", String(150), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("processed_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox_messages"),
        Index("ix_inbox_processed_at", "processed_at"),
    )


def add_messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    return outbox_table(metadata), inbox_table(metadata)


class OutboxStore:
    def __init__(self, table: Table):
        self.table = table

    def add(self, conn: Connection, messages: Iterable[IntegrationEvent]) -> None:
        now = utcnow()
        rows = [
            {"event_id": m.event_id, "event_type": m.type, "source": m.source,
             "message": m.to_message(), "created_at": now, "publish_attempts": 0}
            for m in messages
        ]
        if rows:
            conn.execute(insert(self.table), rows)

    def claim_unpublished(self, conn: Connection, *, owner: str, older_than: datetime,
                          lease: timedelta, limit: int) -> list[IntegrationEvent]:
        """Lease up to ``limit`` unpublished rows created before ``older_than``."""
        now = utcnow()
        t = self.table
        free = or_(t.c.locked_until.is_(None), t.c.locked_until < now)
        query = (
            select(t.c.position, t.c.message)
            .where(t.c.published_at.is_(None), t.c.created_at <= older_than, free)
            .order_by(t.c.position).limit(limit)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        if not rows:
            return []
        positions = [row.position for row in rows]
        conn.execute(
            update(t).where(t.c.position.in_(positions), free)
            .values(locked_by=owner, locked_until=now + lease,
                    publish_attempts=t.c.publish_attempts + 1)
        )
        return [IntegrationEvent.from_message(_as_dict(row.message)) for row in rows]

    def mark_published(self, conn: Connection, event_ids: Iterable[str]) -> int:
        ids = list(event_ids)
        if not ids:
            return 0
        t = self.table
        result = conn.execute(
            update(t).where(t.c.event_id.in_(ids), t.c.published_at.is_(None))
            .values(published_at=utcnow(), locked_by=None, locked_until=None)
        )
        return result.rowcount

    def release(self, conn: Connection, event_ids: Iterable[str]) -> None:
        ids = list(event_ids)
        if ids:
            t = self.table
            conn.execute(update(t).where(t.c.event_id.in_(ids))
                         .values(locked_by=None, locked_until=None))

    def count_unpublished(self, conn: Connection) -> int:
        t = self.table
        return len(conn.execute(select(t.c.position).where(t.c.published_at.is_(None))).all())

    def purge_published(self, conn: Connection, before: datetime) -> int:
        t = self.table
        return conn.execute(
            delete(t).where(and_(t.c.published_at.is_not(None), t.c.published_at < before))
        ).rowcount


class InboxStore:
    def __init__(self, table: Table):
        self.table = table
        self._claims: dict[str, object] = {}

    def claim(self, conn: Connection, consumer: str, event_id: str) -> bool:
        """Insert the inbox row; False (nothing written) if it exists already.

        One ``INSERT ... ON CONFLICT DO NOTHING``: on PostgreSQL a concurrent duplicate's
        insert waits for the first transaction and then inserts nothing (it committed) or
        the row (it rolled back)."""
        row = {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()}
        statement = self._claim_statement(conn.dialect.name)
        if statement is not None:
            return conn.execute(statement, row).rowcount == 1
        try:  # other databases: a savepoint around a plain insert
            with conn.begin_nested():
                conn.execute(insert(self.table), row)
        except IntegrityError:
            return False
        return True

    def _claim_statement(self, dialect: str):
        if dialect not in self._claims:
            if dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            elif dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                self._claims[dialect] = None
                return None
            self._claims[dialect] = dialect_insert(self.table).on_conflict_do_nothing(
                index_elements=["consumer", "event_id"])
        return self._claims[dialect]

    def contains(self, conn: Connection, consumer: str, event_id: str) -> bool:
        t = self.table
        return conn.execute(
            select(t.c.event_id).where(t.c.consumer == consumer, t.c.event_id == event_id)
        ).first() is not None

    def purge(self, conn: Connection, before: datetime) -> int:
        t = self.table
        return conn.execute(delete(t).where(t.c.processed_at < before)).rowcount


def _as_dict(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value
