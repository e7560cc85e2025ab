"""The unit-of-work contract, on the in-memory fake (the SQL one is in integration)."""
import dataclasses

import pytest

from common.contracts.base import EventContract
from common.seedwork.application.integration import (
    EventTranslator,
    IntegrationEvent,
    MessageContext,
)
from common.seedwork.domain.entity import AggregateRoot, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.errors import AlreadyProcessed, ConcurrencyConflict, ValidationError
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from common.validation import TolerantSchema


@dataclasses.dataclass(frozen=True, kw_only=True)
class Renamed(DomainEvent):
    thing_id: str
    name: str


class Thing(AggregateRoot):
    def __init__(self, id, name):
        self.id, self.name = id, name

    def rename(self, name):
        self.name = name
        self.record(Renamed(thing_id=self.id, name=name))


class RenamedSchema(TolerantSchema):
    from marshmallow import fields

    thing_id = fields.String(required=True)
    name = fields.String(required=True)


RENAMED = EventContract("things", "thing_renamed", 1, RenamedSchema, "test")


def translator():
    t = EventTranslator()
    t.register(Renamed, RENAMED, lambda e: {"thing_id": e.thing_id, "name": e.name})
    return t


def make_uow(**kwargs):
    return InMemoryUnitOfWork(translator=translator(), things=InMemoryRepository(), **kwargs)


def test_changes_vanish_unless_committed():
    uow = make_uow()
    with uow:
        uow.things.add(Thing(new_id(), "a"))
    assert uow.things.items == {} and uow.commits == 0


def test_an_error_rolls_back():
    uow = make_uow()
    with pytest.raises(RuntimeError):
        with uow:
            uow.things.add(Thing("1", "a"))
            raise RuntimeError("boom")
    assert uow.things.items == {}


def test_commit_turns_domain_events_into_outbox_messages_with_context():
    uow = make_uow(context=MessageContext(correlation_id="corr-1", causation_id="cause-1"))
    thing = Thing("t1", "a")
    with uow:
        uow.things.add(thing)
        thing.rename("b")
        uow.commit()
    [message] = uow.published("thing_renamed")
    assert message.payload == {"thing_id": "t1", "name": "b"}
    assert (message.source, message.version) == ("things", 1)
    assert message.correlation_id == "corr-1" and message.causation_id == "cause-1"
    assert message.occurred_at.endswith("Z")
    assert thing.pending_events == ()


def test_after_commit_listeners_hear_committed_events_only():
    uow = make_uow()
    heard = []
    uow.after_commit.append(heard.extend)
    with uow:
        thing = Thing("t1", "a")
        uow.things.add(thing)
        thing.rename("b")
    assert heard == []
    with uow:
        thing = uow.things.get("t1") or Thing("t1", "a")
        uow.things.add(thing)
        thing.rename("c")
        uow.commit()
    assert [m.payload["name"] for m in heard] == ["c"]


def test_inbox_makes_a_second_delivery_a_no_op():
    uow = make_uow()
    uow.inbox_key = ("svc.handler", "event-1")
    with uow:
        uow.commit()
    uow.inbox_key = ("svc.handler", "event-1")
    with pytest.raises(AlreadyProcessed):
        with uow:
            pytest.fail("the body must not run")
    uow.inbox_key = ("other.handler", "event-1")  # another consumer is independent
    with uow:
        uow.commit()


def test_inbox_claim_is_rolled_back_with_a_failed_handler():
    uow = make_uow()
    uow.inbox_key = ("svc.handler", "event-1")
    with pytest.raises(RuntimeError):
        with uow:
            raise RuntimeError("transient")
    uow.inbox_key = ("svc.handler", "event-1")
    with uow:
        uow.commit()  # the retry is allowed through
    assert ("svc.handler", "event-1") in uow.inbox


def test_versions_detect_lost_updates():
    repo = InMemoryRepository()
    thing = Thing("t", "a")
    repo.add(thing)
    stale = Thing("t", "b")
    stale.version = 0
    with pytest.raises(ConcurrencyConflict):
        repo.save(stale)


def test_a_payload_that_breaks_its_contract_fails_the_commit():
    t = EventTranslator()
    t.register(Renamed, RENAMED, lambda e: {"thing_id": e.thing_id})  # name missing
    uow = InMemoryUnitOfWork(translator=t, things=InMemoryRepository())
    with pytest.raises(ValueError, match="contract"):
        with uow:
            thing = Thing("t", "a")
            uow.things.add(thing)
            thing.rename("b")
            uow.commit()
    assert uow.outbox == [] and uow.things.items == {}


def test_a_deployment_may_skip_the_outgoing_check_and_leave_it_to_consumers():
    t = EventTranslator(check_payloads=False)
    t.register(Renamed, RENAMED, lambda e: {"thing_id": e.thing_id})  # name missing
    uow = InMemoryUnitOfWork(translator=t, things=InMemoryRepository())
    with uow:
        thing = Thing("t", "a")
        uow.things.add(thing)
        thing.rename("b")
        uow.commit()
    [message] = uow.outbox
    assert message.payload == {"thing_id": "t"}  # sent as is: a consumer dead-letters it


def test_envelope_round_trip_and_malformed_envelopes():
    message = IntegrationEvent.new(source="s", type="t", version=2, payload={"a": 1})
    assert IntegrationEvent.from_message(message.to_message()) == message
    with pytest.raises(ValidationError) as error:
        IntegrationEvent.from_message({"type": "t"})
    assert {"event_id", "version", "occurred_at", "payload"} <= set(error.value.fields)
    with pytest.raises(ValidationError):
        IntegrationEvent.from_message("junk")
    tolerant = dict(message.to_message(), extra="ignored")
    assert IntegrationEvent.from_message(tolerant).event_id == message.event_id
