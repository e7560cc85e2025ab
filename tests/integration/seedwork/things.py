"""A tiny aggregate, its table and repository: the seedwork's SQL test subject."""
import dataclasses
from decimal import Decimal

from marshmallow import fields
from sqlalchemy import Column, Integer, MetaData, String, Table

from common.contracts.base import EventContract
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.domain.events import DomainEvent
from common.seedwork.infrastructure.messaging import InboxStore, OutboxStore, add_messaging_tables
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime
from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from common.validation import TolerantSchema

metadata = MetaData()
things = Table(
    "things", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("seen_at", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
)
outbox, inbox = add_messaging_tables(metadata)
OUTBOX, INBOX = OutboxStore(outbox), InboxStore(inbox)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ThingRenamed(DomainEvent):
    thing_id: str
    name: str


class Thing(AggregateRoot):
    def __init__(self, id, name, amount=Decimal("0"), seen_at=None):
        self.id, self.name, self.amount, self.seen_at = id, name, amount, seen_at

    def rename(self, name):
        self.name = name
        self.record(ThingRenamed(thing_id=self.id, name=name))


class ThingRepository(SqlAlchemyRepository[Thing]):
    table = things

    def _to_row(self, thing):
        return {"id": thing.id, "name": thing.name, "amount": thing.amount,
                "seen_at": thing.seen_at}

    def _from_row(self, row):
        return Thing(row.id, row.name, row.amount, row.seen_at)


class RenamedPayload(TolerantSchema):
    thing_id = fields.String(required=True)
    name = fields.String(required=True)


THING_RENAMED = EventContract("things", "thing_renamed", 1, RenamedPayload, "test event")
TRANSLATOR = EventTranslator()
TRANSLATOR.register(ThingRenamed, THING_RENAMED,
                    lambda e: {"thing_id": e.thing_id, "name": e.name})


class ThingsUnitOfWork(SqlAlchemyUnitOfWork):
    def _bind(self, connection):
        self.things = ThingRepository(connection)
