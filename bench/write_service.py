"""Benchmark-only floor: one RPC that makes one durable write, and nothing else.

Run as its own process beside the platform (``bench/environment.py`` starts it with a
config that names its database): ``@rpc write`` inserts one row into its own tiny table
in one transaction, through what every command of the platform writes through --
``ServiceDatabase`` (nameko-sqlalchemy's provider: the worker's session, SQLite's
``BEGIN IMMEDIATE`` and process write lock, or PostgreSQL through psycogreen) and the
seedwork's ``SqlAlchemyUnitOfWork`` -- answered by the platform's RPC entrypoint
(``common.nameko.rpc.rpc``: the reply without a broker confirm, as every command's).
No validation, no domain, no events (so no outbox row), no read-back: what a command
cannot do without. The bench creates the table (SQLite or PostgreSQL per ``--db``);
the outbox and inbox tables exist only because the provider's relay sweeps them.
"""
from __future__ import annotations

import uuid

from sqlalchemy import JSON, Column, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase

from common.nameko.database import ServiceDatabase
from common.nameko.health import HealthMixin
from common.nameko.rpc import rpc
from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.messaging import (
    InboxStore,
    OutboxStore,
    add_messaging_tables,
)
from common.seedwork.infrastructure.types import UTCDateTime
from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

SERVICE_NAME = "bench_write"

metadata = MetaData()
writes = Table(
    "bench_writes", metadata,
    Column("id", String(36), primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("written_at", UTCDateTime(), nullable=False),
)
OUTBOX, INBOX = (store(table) for store, table in
                 zip((OutboxStore, InboxStore), add_messaging_tables(metadata), strict=True))
INSERT = writes.insert()  # built once: SQLAlchemy's compiled cache serves every call


class Base(DeclarativeBase):
    """nameko-sqlalchemy keys the URI by the base's name: ``DB_URIS["bench_write:Base"]``."""

    metadata = metadata


class BenchWriteService(HealthMixin):
    name = SERVICE_NAME

    db = ServiceDatabase(Base)

    @rpc
    def write(self, payload):
        row_id = uuid.uuid4().hex
        uow = SqlAlchemyUnitOfWork(self.db.database, outbox=OUTBOX, inbox=INBOX,
                                   sessions=self.db.new_session)
        with uow:
            uow.connection.execute(INSERT, {"id": row_id, "payload": payload,
                                            "written_at": utcnow()})
            uow.commit()
        return {"id": row_id}
