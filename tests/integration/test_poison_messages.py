"""Poison messages, for every reliable ``@event_handler`` of every service.

Generated from the handler registry (``common.nameko.topology.event_handlers`` over every
service class): a handler added later is covered without anyone writing a test for it.

For each handler, each kind of poison below is published straight to the platform's
event exchange (as any other system on the broker could) and must be, at once (first
delivery, no retry): dead-lettered in ``dlq.<service>`` with its reason, its raw body
and content type kept and the consumer named; no row written, no RPC made, no event
published. Then the contract's example event is sent and must be processed normally.
"""
from __future__ import annotations

import json
import time
import uuid

import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import MetaData, select

from common.contracts import find
from common.contracts.examples import example
from common.nameko.discovery import service_classes
from common.nameko.events import bind_handler_queue
from common.nameko.topology import bound_on_demand, event_handlers
from common.seedwork.infrastructure.database import Database
from tests.support import migrated, service_config, wait_for

SERVICES = [cls for cls in service_classes() if event_handlers(cls)]
DEAD_LETTER_WAIT = 8.0


def envelope(contract, **overrides) -> dict:
    body = {"event_id": str(uuid.uuid4()), "type": contract.name,
            "version": contract.version, "source": contract.source,
            "occurred_at": "2026-11-29T12:00:00Z", "correlation_id": str(uuid.uuid4()),
            "causation_id": None, "payload": example(contract)}
    body.update(overrides)
    return body


def as_json(body) -> bytes:
    return json.dumps(body).encode()


def poison_kinds(contract) -> dict[str, tuple[bytes, str, str]]:
    """kind -> (raw body, content type, expected dead-letter reason)."""
    without_version = envelope(contract)
    del without_version["version"]
    return {
        "invalid_json": (b'{"event_id": "1", "type": ', "application/json", "undecodable"),
        "not_utf8": (b"\xff\xfe\x00\x81 binary", "application/json", "undecodable"),
        "text_plain": (b"conversion please", "text/plain", "content_type_not_accepted"),
        "not_an_object": (as_json([1, 2, 3]), "application/json", "malformed_envelope"),
        "missing_version": (as_json(without_version), "application/json",
                            "malformed_envelope"),
        "version_not_an_integer": (as_json(envelope(contract, version="one")),
                                   "application/json", "malformed_envelope"),
        "event_id_not_a_uuid": (as_json(envelope(contract, event_id="x" * 80)),
                                "application/json", "malformed_envelope"),
        "payload_not_an_object": (as_json(envelope(contract, payload="paid")),
                                  "application/json", "malformed_envelope"),
        "unknown_version": (as_json(envelope(contract, version=99)), "application/json",
                            "unknown_version"),
        "other_type": (as_json(envelope(contract, type=f"{contract.name}_v2")),
                       "application/json", "unknown_event_type"),
        "payload_breaks_contract": (as_json(envelope(contract, payload={"surprise": 1})),
                                    "application/json", "contract_violation"),
    }


class Broker:
    """A connection to the test vhost: publish raw bodies, read dead letters, watch
    the RPC exchange and the service's own event exchange."""

    def __init__(self, amqp_uri: str, service: str):
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.producer = Producer(self.channel)
        self.dlq = f"dlq.{service}"
        self.watchers = [
            self._watch(Exchange("nameko-rpc", type="topic", durable=True), "#"),
            self._watch(get_event_exchange(service, {}), "#"),
        ]

    def _watch(self, exchange, key) -> Queue:
        queue = Queue(f"watch-{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key=key,
                      durable=False, exclusive=True)
        queue(self.channel).declare()
        return queue

    def publish(self, source, event_type, body: bytes, content_type: str) -> str:
        message_id = str(uuid.uuid4())
        self.producer.publish(body, exchange=get_event_exchange(source, {}),
                              routing_key=event_type, content_type=content_type,
                              content_encoding="binary", message_id=message_id,
                              delivery_mode=2, headers={"x-test": "poison"})
        return message_id

    def dead_letters(self, expected: int, timeout: float) -> dict[str, object]:
        """Dead letters by message id, until ``expected`` arrived or ``timeout``."""
        found, deadline = {}, time.monotonic() + timeout
        while len(found) < expected and time.monotonic() < deadline:
            raw = self.channel.basic_get(queue=self.dlq, no_ack=True)
            if raw is None:
                time.sleep(0.05)
                continue
            found[raw.properties.get("message_id")] = raw
        return found

    def watched(self) -> list[str]:
        seen = []
        for queue in self.watchers:
            while (message := queue(self.channel).get(no_ack=True)) is not None:
                seen.append(message.delivery_info["routing_key"])
        return seen

    def close(self):
        self.connection.release()


def snapshot(database: Database) -> dict[str, list]:
    metadata = MetaData()
    metadata.reflect(database.read_engine)
    with database.reader() as conn:
        return {name: sorted(map(repr, conn.execute(select(table)).all()))
                for name, table in metadata.tables.items()}


def raw_body(raw) -> bytes:
    body = raw.body
    if isinstance(body, str):
        return body.encode(raw.properties.get("content_encoding") or "utf-8")
    return bytes(body)


def problems_with_dead_letter(raw, consumer, body, content_type, reason) -> list[str]:
    headers = raw.headers or {}
    found = []
    if headers.get("x-alpes-reason") != reason:
        found.append(f"reason {headers.get('x-alpes-reason')!r}, expected {reason!r}")
    if headers.get("x-alpes-attempt") != 1:
        found.append(f"dead-lettered after {headers.get('x-alpes-attempt')} deliveries, "
                     "expected at once")
    if headers.get("x-alpes-handler") != consumer:
        found.append(f"consumer {headers.get('x-alpes-handler')!r}, expected {consumer!r}")
    if raw_body(raw) != body:
        found.append("raw body not kept")
    kept_type = headers.get("x-alpes-content-type") or raw.properties.get("content_type")
    if kept_type != content_type:
        found.append(f"content type {kept_type!r}, expected {content_type!r}")
    return found


@pytest.fixture(params=SERVICES, ids=lambda cls: cls.name)
def service_cls(request):
    return request.param


@pytest.fixture
def platform(service_cls, rabbit_config, make_db_uri, container_factory):
    uri = migrated(service_cls.name, make_db_uri("sqlite", service_cls.name))
    config = service_config(rabbit_config, {service_cls.name: uri})
    container = container_factory(service_cls, config)
    container.start()
    for source, event_type, method in bound_on_demand(service_cls):
        # as an endpoint subscribing to their types would (webhooks): poison must reach them
        bind_handler_queue(config, source=source, event_type=event_type,
                           service=service_cls.name, method=method)
    broker = Broker(config["AMQP_URI"], service_cls.name)
    database = Database(uri)
    yield container, broker, database
    broker.close()
    database.dispose()


def test_every_handler_dead_letters_poison_at_once_and_then_processes_a_valid_event(
        service_cls, platform):
    container, broker, database = platform
    handlers = event_handlers(service_cls)
    before = snapshot(database)
    broker.watched()

    sent = {}  # message id -> (consumer, kind, body, content type, reason)
    for source, event_type, method in handlers:
        contract = find(source, event_type)
        for kind, (body, content_type, reason) in poison_kinds(contract).items():
            message_id = broker.publish(source, event_type, body, content_type)
            sent[message_id] = (f"{service_cls.name}.{method}", kind, body, content_type,
                                reason)

    arrived = broker.dead_letters(len(sent), timeout=DEAD_LETTER_WAIT)
    problems = []
    for message_id, (consumer, kind, body, content_type, reason) in sent.items():
        if message_id not in arrived:
            problems.append(f"{consumer} {kind}: not in the dead letters (lost or applied)")
            continue
        problems += [f"{consumer} {kind}: {p}" for p in problems_with_dead_letter(
            arrived[message_id], consumer, body, content_type, reason)]
    time.sleep(0.3)  # anything a handler would still write, publish or call shows now
    if snapshot(database) != before:
        problems.append("rows were written while handling poison")
    messages_out = broker.watched()
    if messages_out:
        problems.append(f"RPC calls or events published: {messages_out}")
    assert not problems, "\n".join(problems)

    for source, event_type, method in handlers:
        body = envelope(find(source, event_type))
        with entrypoint_waiter(container, method, timeout=10) as result:
            broker.publish(source, event_type, as_json(body), "application/json")
        result.get()  # raises what the handler raised
    assert not broker.dead_letters(1, timeout=0.3), "a valid event was dead-lettered"


def test_a_poison_dead_letter_is_listed_with_its_reason_and_never_replayed_into_a_loop(
        rabbit_config, make_db_uri, container_factory):
    from common.nameko.dead_letters import describe_line, list_dead_letters, replay
    from services.campaigns.service import CampaignsService

    uri = migrated("campaigns", make_db_uri("sqlite", "campaigns"))
    config = service_config(rabbit_config, {"campaigns": uri})
    container_factory(CampaignsService, config).start()
    broker = Broker(config["AMQP_URI"], "campaigns")
    contract = find("partners", "partner_activated")
    try:
        broker.publish("partners", "partner_activated",
                       as_json(envelope(contract, version=7)), "application/json")
        broker.publish("partners", "partner_activated", b"\xff\x00 not text",
                       "application/json")
        amqp = config["AMQP_URI"]
        listed = wait_for(lambda: len(found := list_dead_letters(amqp, ["campaigns"])) == 2
                          and found, message="two dead letters")
    finally:
        broker.close()
    by_reason = {item["reason"]: item for item in listed}
    assert set(by_reason) == {"unknown_version", "undecodable"}
    assert by_reason["unknown_version"]["version"] == 7
    assert by_reason["undecodable"]["raw_body"] == {"encoding": "base64",
                                                    "text": "/wAgbm90IHRleHQ="}
    assert "[undecodable]" in describe_line(by_reason["undecodable"])

    outcome = replay(amqp, replay_all=True, services=["campaigns"])
    assert sorted(item["refused"].split(":")[0] for item in outcome) == [
        "undecodable", "unknown_version"]
    assert "NOT replayed" in describe_line(outcome[0])
    assert len(list_dead_letters(amqp, ["campaigns"])) == 2  # still there, no loop
