"""A test-only downstream consumer of the platform's events: the ``witness``.

It subscribes, with the same reliable ``event_handler`` and inbox as every service, to
the events the scenarios send twice or more, and records one row per event it APPLIES
(nothing in its handler is idempotent on its own). Where a real service would shrug a
duplicate off anyway (deterministic ids, revisions), the witness shows the inbox itself
holding: each event applied exactly once, however often it was delivered.

Run in the test process for a module (``running(platform)``); its queues are declared
before any traffic, so nothing published meanwhile is missed.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses

from nameko.containers import ServiceContainer
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase

from common.contracts import campaigns, commissions, tracking
from common.nameko import topology
from common.nameko.bus import MessageBusProvider
from common.nameko.config import db_uri
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.application.messages import Command
from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

metadata = MetaData()
applied = Table(
    "applied", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_type", String(60), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("subject", String(36), nullable=False),  # the conversion, enrollment, commission
)
add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


# Deliveries each event id reached the handler with (inbox or not): lets a test wait
# until every copy it published has been through.
DELIVERIES: collections.Counter = collections.Counter()


class AppliedLog(AbstractRepository):
    def __init__(self, connection):
        super().__init__()
        self.connection = connection

    def record(self, event_type: str, event_id: str, subject: str) -> None:
        self.connection.execute(insert(applied).values(
            event_type=event_type, event_id=event_id, subject=subject))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordApplied(Command):
    event_type: str
    event_id: str
    subject: str


class WitnessUnitOfWork(SqlAlchemyUnitOfWork):
    def _bind(self, connection):
        self.applied = AppliedLog(connection)


HANDLERS = HandlerRegistry()


@HANDLERS.command(RecordApplied)
def record_applied(cmd: RecordApplied, uow) -> None:
    with uow:
        uow.applied.record(cmd.event_type, cmd.event_id, cmd.subject)
        uow.commit()


class WitnessService:
    name = "witness"
    db = ServiceDatabase(Base)
    bus = MessageBusProvider(handlers=HANDLERS, unit_of_work=WitnessUnitOfWork)

    @event_handler(tracking.CONVERSION_ATTRIBUTED)
    def on_conversion_attributed(self, event):
        self._apply(event, "conversion_id")

    @event_handler(campaigns.PARTNER_ENROLLED)
    def on_partner_enrolled(self, event):
        self._apply(event, "enrollment_id")

    @event_handler(commissions.COMMISSION_CREATED)
    def on_commission_created(self, event):
        self._apply(event, "commission_id")

    @event_handler(commissions.COMMISSION_PAID)
    def on_commission_paid(self, event):
        self._apply(event, "commission_id")

    def _apply(self, event, subject_field: str) -> None:
        try:
            self.bus.handle(RecordApplied(event_type=event.type, event_id=event.event_id,
                                          subject=str(event.data[subject_field])))
        finally:
            DELIVERIES[event.event_id] += 1


@dataclasses.dataclass
class Witness:
    database: Database

    def applied(self, event_type: str) -> list[str]:
        """The subject of every application of ``event_type``, duplicates included."""
        with self.database.reader() as conn:
            return [row.subject for row in conn.execute(
                select(applied.c.subject).where(applied.c.event_type == event_type))]

    @staticmethod
    def deliveries(event_id: str) -> int:
        return DELIVERIES[event_id]


@contextlib.contextmanager
def running(platform):
    """The witness as a Nameko container in this process, on the platform's vhost."""
    config = platform.config
    config["DB_URIS"]["witness:Base"] = f"sqlite:///{platform.workdir}/witness.db"
    database = Database(db_uri(config, "witness"))
    metadata.create_all(database.write_engine)  # a test-only schema
    topology.declare(config, [WitnessService])
    container = ServiceContainer(WitnessService, config)
    container.start()
    try:
        yield Witness(database)
    finally:
        container.stop()
        database.dispose()
        _delete_queues(config)


def _delete_queues(config) -> None:
    """A test instrument leaves nothing behind on a shared platform: without a consumer
    its durable queues would keep collecting events (and look like a backlog)."""
    from kombu import Connection

    from common.nameko.events import handler_queue_name, retry_queue_name

    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        for source, event_type, method in topology.event_handlers(WitnessService):
            queue = handler_queue_name(source, event_type, WitnessService.name, method)
            for name in (queue, retry_queue_name(queue)):
                channel.queue_delete(queue=name)
        channel.close()
