"""Outbox relay, inbox, retries, dead letters and declared queues over the real broker.

Partners is the publisher, the test-only ``audit`` service the consumer.
"""
import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from common.nameko import topology
from common.nameko.config import db_uri
from common.nameko.dead_letters import list_dead_letters, replay
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import OutboxStore
from services.partners.application import commands
from services.partners.infrastructure.tables import outbox_messages
from services.partners.service import PartnersService
from tests.integration.seedwork import consumer
from tests.integration.seedwork.consumer import AuditService
from tests.support import migrated, partners_bus, service_config, wait_for

PARTNER = {"name": "Ana", "email": "ana@example.com", "type": "affiliate", "country": "ES"}


@pytest.fixture(autouse=True)
def reset_faults():
    consumer.FAULTS.update(fail=0, attempts=0)


@pytest.fixture
def config(rabbit_config, make_db_uri):
    partners_uri = migrated("partners", make_db_uri("sqlite", "partners"))
    audit_uri = make_db_uri("sqlite", "audit")
    database = Database(audit_uri)
    consumer.metadata.create_all(database.write_engine)  # test-only service schema
    database.dispose()
    return service_config(rabbit_config, {"partners": partners_uri, "audit": audit_uri})


@pytest.fixture
def audit_db(config):
    database = Database(db_uri(config, "audit"))
    yield database
    database.dispose()


@pytest.fixture
def partners_db(config):
    database = Database(db_uri(config, "partners"))
    yield database
    database.dispose()


def register(config, **overrides):
    with ClusterRpcProxy(config, timeout=10) as rpc:
        return rpc.partners.register_partner({**PARTNER, **overrides})["partner_id"]


def outbox_rows(database):
    with database.reader() as conn:
        return conn.execute(select(outbox_messages)).all()


def publish_raw(config, body, routing_key="partner_registered"):
    exchange = get_event_exchange("partners", config)
    with Connection(config["AMQP_URI"]) as conn:
        producer = conn.Producer(serializer="json")
        producer.publish(body, exchange=exchange, routing_key=routing_key, declare=[exchange])


def test_event_is_published_after_commit_and_stamped(config, container_factory, audit_db,
                                                     partners_db):
    container_factory(PartnersService, config).start()
    audit = container_factory(AuditService, config)
    audit.start()
    with entrypoint_waiter(audit, "on_partner_registered"):
        partner_id = register(config)
    rows = consumer.received_rows(audit_db)
    assert [row.partner_id for row in rows] == [partner_id]
    wait_for(lambda: all(r.published_at for r in outbox_rows(partners_db)), message="stamp")


def test_a_redelivered_event_changes_nothing(config, container_factory, audit_db, partners_db):
    container_factory(PartnersService, config).start()
    audit = container_factory(AuditService, config)
    audit.start()
    with entrypoint_waiter(audit, "on_partner_registered"):
        register(config)
    envelope = outbox_rows(partners_db)[0].message
    copies = []

    def second_copy_handled(worker_ctx, result, exc_info):
        copies.append(exc_info)
        return len(copies) == 2

    with entrypoint_waiter(audit, "on_partner_registered", callback=second_copy_handled):
        publish_raw(config, envelope)
        publish_raw(config, envelope)
    assert consumer.FAULTS["attempts"] == 3 and copies == [None, None]
    assert len(consumer.received_rows(audit_db)) == 1
    assert consumer.inbox_count(audit_db) == 1


def test_an_event_sent_before_its_consumer_ever_ran_is_kept(config, container_factory,
                                                            audit_db):
    topology.declare(config, [AuditService])  # what `make run` does before starting anything
    container_factory(PartnersService, config).start()
    partner_id = register(config)
    wait_for(lambda: True)
    container_factory(AuditService, config).start()
    rows = wait_for(lambda: consumer.received_rows(audit_db), message="the late delivery")
    assert [row.partner_id for row in rows] == [partner_id]


def test_rows_left_unpublished_are_swept(config, container_factory, audit_db, partners_db):
    """A commit whose publish never happened (crash) is sent by the periodic sweep."""
    container_factory(AuditService, config).start()
    bus, database = partners_bus(db_uri(config, "partners"))
    partner_id = bus.handle(commands.RegisterPartner(**PARTNER)).id  # committed, never published
    database.dispose()
    assert outbox_rows(partners_db)[0].published_at is None
    container_factory(PartnersService, config).start()  # its relay sweeps on start
    rows = wait_for(lambda: consumer.received_rows(audit_db), message="the swept event")
    assert [row.partner_id for row in rows] == [partner_id]


def test_two_instances_sweep_without_sending_a_row_twice(config, container_factory,
                                                         partners_db, event_probe):
    probe = event_probe("partners")
    messages = [IntegrationEvent.new(source="partners", type="partner_registered", version=1,
                                     payload={"n": n}) for n in range(60)]
    store = OutboxStore(outbox_messages)
    with partners_db.transaction() as conn:
        store.add(conn, messages)
    for _ in range(2):
        container_factory(PartnersService, config).start()
    wait_for(lambda: len(probe.drain()) >= 60, timeout=15, message="60 swept events")
    sent = [m["event_id"] for m in probe.drain(settle=1.0)]
    assert sorted(sent) == sorted(m.event_id for m in messages)  # each once


def test_a_failing_handler_is_retried_until_it_succeeds(config, container_factory, audit_db):
    consumer.FAULTS["fail"] = 2  # max_attempts is 3 in the test config
    container_factory(PartnersService, config).start()
    container_factory(AuditService, config).start()
    register(config)
    wait_for(lambda: consumer.received_rows(audit_db), message="success on the 3rd attempt")
    assert consumer.FAULTS["attempts"] == 3
    assert list_dead_letters(config["AMQP_URI"], ["audit"]) == []


def test_a_handler_that_keeps_failing_is_dead_lettered_then_replayed_once(
        config, container_factory, audit_db):
    consumer.FAULTS["fail"] = 1000
    container_factory(PartnersService, config).start()
    container_factory(AuditService, config).start()
    partner_id = register(config)
    amqp = config["AMQP_URI"]
    [dead] = wait_for(lambda: list_dead_letters(amqp, ["audit"]), message="a dead letter")
    assert consumer.FAULTS["attempts"] == 3 and consumer.received_rows(audit_db) == []
    assert dead["handler"] == "audit.on_partner_registered"
    assert dead["event_type"] == "partner_registered" and dead["attempts"] == 3
    assert "simulated transient failure" in dead["error"]
    assert dead["message"]["payload"]["partner_id"] == partner_id
    assert list_dead_letters(amqp, ["audit"])[0]["id"] == dead["id"]  # listing keeps it

    consumer.FAULTS["fail"] = 0  # the fix
    [replayed] = replay(amqp, dead_letter_id=dead["id"], services=["audit"])
    assert replayed["id"] == dead["id"]
    rows = wait_for(lambda: consumer.received_rows(audit_db), message="the replay")
    assert [row.partner_id for row in rows] == [partner_id]
    assert list_dead_letters(amqp, ["audit"]) == []
    assert replay(amqp, replay_all=True, services=["audit"]) == []
    assert len(consumer.received_rows(audit_db)) == 1


def test_a_malformed_event_is_dead_lettered_without_retries(config, container_factory):
    topology.declare(config, [AuditService])
    container_factory(AuditService, config).start()
    good = IntegrationEvent.new(source="partners", type="partner_registered", version=1,
                                payload={"no": "partner id"})
    publish_raw(config, good.to_message())
    publish_raw(config, {"not": "an envelope"})
    dead = wait_for(lambda: len(list_dead_letters(config["AMQP_URI"], ["audit"])) == 2 and
                    list_dead_letters(config["AMQP_URI"], ["audit"]), message="2 dead letters")
    assert {d["reason"] for d in dead} == {"contract_violation", "malformed_envelope"}
    assert {d["error_type"] for d in dead} == {"ContractViolation", "MalformedEnvelope"}
    assert all(d["attempts"] == 1 for d in dead)
    assert consumer.FAULTS["attempts"] == 0  # the handler never ran
