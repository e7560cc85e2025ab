"""``QUEUES.type: quorum`` on the test broker: quorum queues work on a one-node broker too,
so the declarations, the delivery limit and the refusal of a queue of the other type are
checked here, in the ordinary suite. tests/cluster runs the platform on three nodes and
stops one of them under load.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from kombu import Connection
from nameko.rpc import rpc
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts import partners
from common.contracts.examples import example
from common.nameko import topology
from common.nameko.dead_letters import list_dead_letters, replay
from common.nameko.discovery import service_classes
from common.nameko.events import dead_letter_queue_name, retry_queue_name
from common.nameko.queues import QueueMismatch
from common.nameko.rpc import RpcClient
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.infrastructure.database import Database
from services.partners.service import PartnersService
from tests.integration.seedwork import consumer
from tests.integration.seedwork.consumer import AuditService
from tests.support import migrated, service_config, wait_for

ROOT = pathlib.Path(__file__).resolve().parents[2]
AUDIT_QUEUE = "evt-partners-partner_registered--audit.on_partner_registered"
LIMIT = 2


def quorum(config: dict, limit: int = LIMIT) -> dict:
    return {**config, "QUEUES": {"type": "quorum", "delivery_limit": limit}}


def queues(rabbit_manager, vhost: str) -> dict[str, dict]:
    return {queue["name"]: queue for queue in rabbit_manager.get_queues(vhost)}


@pytest.fixture(autouse=True)
def reset_faults():
    consumer.FAULTS.update(fail=0, attempts=0)


@pytest.fixture
def config(rabbit_config, make_db_uri):
    partners_uri = migrated("partners", make_db_uri("sqlite", "partners"))
    audit_uri = make_db_uri("sqlite", "audit")
    database = Database(audit_uri)
    consumer.metadata.create_all(database.write_engine)
    database.dispose()
    return quorum(service_config(rabbit_config, {"partners": partners_uri,
                                                 "audit": audit_uri}))


def publish(config: dict, event: IntegrationEvent) -> None:
    exchange = get_event_exchange(event.source, config)
    with Connection(config["AMQP_URI"]) as connection:
        connection.Producer(serializer="json").publish(
            event.to_message(), exchange=exchange, routing_key=event.type, declare=[exchange],
            delivery_mode=2, message_id=event.event_id, type=event.type)


def test_topology_declares_handler_retry_and_dead_letter_queues_as_quorum(
        rabbit_config, rabbit_manager):
    config = quorum(rabbit_config)
    declared = topology.declare(config, service_classes())
    found = queues(rabbit_manager, rabbit_config["vhost"])
    for name in declared:
        service = name.split("--", 1)[1].split(".", 1)[0]
        handler, retry = found[name], found[retry_queue_name(name)]
        assert handler["type"] == "quorum" and handler["durable"], name
        assert handler["arguments"]["x-delivery-limit"] == LIMIT
        assert handler["arguments"]["x-dead-letter-routing-key"] == dead_letter_queue_name(service)
        assert handler["arguments"]["x-dead-letter-strategy"] == "at-least-once"
        assert retry["type"] == "quorum"
        assert retry["arguments"]["x-dead-letter-routing-key"] == name
        dead_letters = found[dead_letter_queue_name(service)]
        assert dead_letters["type"] == "quorum"  # no delivery limit: listing requeues
        assert "x-delivery-limit" not in dead_letters["arguments"]
    assert topology.declare(config, service_classes()) == declared  # idempotent


def test_a_crash_looping_message_is_dead_lettered_then_listed_and_replayed(
        config, container_factory):
    """A consumer that dies holding the message (a crash, a lost connection) gets it
    again -- up to the delivery limit; then RabbitMQ puts it in dlq.audit, where the
    operator's tools show and replay it like any other dead letter."""
    topology.declare(config, [AuditService])
    event = IntegrationEvent.new(source="partners", type="partner_registered", version=1,
                                 payload=example(partners.PARTNER_REGISTERED))
    publish(config, event)
    for delivery in range(LIMIT + 1):
        with Connection(config["AMQP_URI"]) as connection:  # a consumer that crashes
            channel = connection.channel()
            got = wait_for(lambda c=channel: c.basic_get(AUDIT_QUEUE, no_ack=False),
                           timeout=10, message=f"delivery {delivery + 1}")
            assert got.properties["application_headers"].get("x-delivery-count", 0) == delivery
    amqp = config["AMQP_URI"]
    [dead] = wait_for(lambda: list_dead_letters(amqp, ["audit"]), timeout=10,
                      message="the letter RabbitMQ dead-lettered")
    assert dead["reason"] == "delivery_limit" and dead["queue"] == AUDIT_QUEUE
    assert dead["handler"] == "audit.on_partner_registered"
    assert dead["event_id"] == event.event_id and dead["id"]
    assert "QUEUES.delivery_limit" in dead["error"]
    assert list_dead_letters(amqp, ["audit"])[0]["id"] == dead["id"]  # stable; still there

    audit = container_factory(AuditService, config)
    audit.start()
    [replayed] = replay(amqp, dead_letter_id=dead["id"], services=["audit"])
    assert replayed["refused"] is None
    database = Database(config["DB_URIS"]["audit:Base"])
    try:
        rows = wait_for(lambda: consumer.received_rows(database), message="the replay")
    finally:
        database.dispose()
    assert [row.event_id for row in rows] == [event.event_id]
    assert list_dead_letters(amqp, ["audit"]) == []


class Caller:
    name = "caller"
    rpc_client = RpcClient(timeout=10)

    @rpc
    def ask(self):
        return self.rpc_client.partners.health()


def test_services_run_on_quorum_queues_with_transient_reply_queues(
        config, container_factory, rabbit_manager, rabbit_config):
    container_factory(PartnersService, config).start()
    container_factory(AuditService, config).start()
    container_factory(Caller, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        partner_id = proxy.partners.register_partner({
            "name": "Ana", "email": "ana@example.com", "type": "affiliate", "country": "ES"}
        )["partner_id"]
        assert proxy.caller.ask()["status"] == "ok"
    database = Database(config["DB_URIS"]["audit:Base"])
    try:
        rows = wait_for(lambda: consumer.received_rows(database), message="the event")
    finally:
        database.dispose()
    assert [row.partner_id for row in rows] == [partner_id]
    found = queues(rabbit_manager, rabbit_config["vhost"])
    assert found["rpc-partners"]["type"] == "quorum"
    assert found["rpc-partners"]["arguments"]["x-delivery-limit"] == LIMIT
    assert found[AUDIT_QUEUE]["type"] == "quorum"
    [reply] = [queue for name, queue in found.items() if name.startswith("rpc.reply-caller-")]
    assert reply["type"] == "classic" and not reply["durable"]


def test_a_queue_of_the_other_type_is_refused_in_words(config, container_factory):
    classic = {**config, "QUEUES": {"type": "classic"}}
    topology.declare(classic, [AuditService])
    with pytest.raises(QueueMismatch) as refused:
        topology.declare(config, [AuditService])
    message = str(refused.value)
    assert AUDIT_QUEUE in message and "QUEUES.type=quorum" in message
    assert "docs/cluster.md" in message

    container_factory(PartnersService, classic).start()  # rpc-partners: classic
    with pytest.raises(QueueMismatch) as refused:
        container_factory(PartnersService, config).start()
    assert "rpc-partners" in str(refused.value)


def test_alpes_topology_names_the_queue_and_the_way_out(rabbit_config):
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"]}
    alpes = [str(pathlib.Path(sys.executable).with_name("alpes")), "--config", "config.yaml",
             "topology", "commissions"]
    first = subprocess.run(alpes, cwd=ROOT, env={**env, "ALPES_QUEUE_TYPE": "classic"},
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(alpes, cwd=ROOT, env={**env, "ALPES_QUEUE_TYPE": "quorum"},
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1
    assert "already exists on the broker" in again.stderr and "alpes topology" in again.stderr
    assert "Traceback" not in again.stderr
