"""A test-only consumer service: records every partner_registered it applies.

Its handler can be told to fail (``FAULTS``) to exercise retries and dead letters.
"""
import dataclasses

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import DeclarativeBase

from common.contracts import partners
from common.nameko.bus import MessageBusProvider
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.application.messages import Command
from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

metadata = MetaData()
received = Table(
    "received", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("partner_id", String(36), nullable=False),
)
add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


FAULTS = {"fail": 0, "attempts": 0}


class ReceivedLog(AbstractRepository):
    def __init__(self, connection):
        super().__init__()
        self.connection = connection

    def record(self, event_id, partner_id):
        self.connection.execute(insert(received).values(event_id=event_id, partner_id=partner_id))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordReceived(Command):
    event_id: str
    partner_id: str


class AuditUnitOfWork(SqlAlchemyUnitOfWork):
    def _bind(self, connection):
        self.received = ReceivedLog(connection)


HANDLERS = HandlerRegistry()


@HANDLERS.command(RecordReceived)
def record_received(cmd, uow):
    with uow:
        uow.received.record(cmd.event_id, cmd.partner_id)
        uow.commit()


class AuditService:
    name = "audit"
    db = ServiceDatabase(Base)
    bus = MessageBusProvider(handlers=HANDLERS, unit_of_work=AuditUnitOfWork)

    @event_handler(partners.PARTNER_REGISTERED)
    def on_partner_registered(self, event):
        FAULTS["attempts"] += 1
        if FAULTS["fail"] > 0:
            FAULTS["fail"] -= 1
            raise RuntimeError("simulated transient failure")
        self.bus.handle(RecordReceived(event_id=event.event_id,
                                       partner_id=event.data["partner_id"]))


def received_rows(database):
    with database.reader() as conn:
        return conn.execute(select(received.c.event_id, received.c.partner_id)).all()


def inbox_count(database):
    from sqlalchemy import text

    with database.reader() as conn:
        return conn.execute(text("SELECT count(*) FROM inbox_messages")).scalar()


__all__ = ["AuditService", "FAULTS", "func", "metadata", "received_rows", "inbox_count"]
