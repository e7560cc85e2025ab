"""Event types no endpoint subscribes to never reach webhooks (their queues are unbound);
an endpoint's types reach it from its creation on; a broker that lost the bindings gets
them back from the timer. Real broker, SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from common.nameko.events import handler_queue_name
from services.webhooks.service import WebhooksService
from tests.integration.webhooks.world import conversion, publish, webhooks_config
from tests.webhook_receiver import Receiver

BRAND = str(uuid.uuid4())
QUEUE = handler_queue_name("tracking", "conversion_attributed", "webhooks",
                           "on_conversion_attributed")


@pytest.fixture
def webhooks(rabbit_config, make_db_uri, db_kind, container_factory):
    config = webhooks_config(rabbit_config, make_db_uri, db_kind,
                             bindings_interval_seconds=0.2)
    container = container_factory(WebhooksService, config)
    container.start()
    with ClusterRpcProxy(config, timeout=10) as rpc, Receiver() as receiver:
        yield container, config, rpc, receiver


def received(container, config, body, timeout=2.0) -> bool:
    """Was the event handed to webhooks' handler within ``timeout``?"""
    try:
        with entrypoint_waiter(container, "on_conversion_attributed", timeout=timeout):
            publish(config, "tracking", "conversion_attributed", body)
    except entrypoint_waiter.Timeout:
        return False
    return True


def subscribe(rpc, url, *types):
    return rpc.webhooks.create_endpoint({"owner_type": "brand", "owner_id": BRAND,
                                         "url": url, "event_types": list(types)})


def test_a_type_nobody_subscribes_to_is_not_received_and_one_subscribed_to_is(webhooks):
    container, config, rpc, receiver = webhooks
    assert not received(container, config, conversion(BRAND), timeout=1.0)
    subscribe(rpc, receiver.url, "commission.created")  # another type: still not received
    assert not received(container, config, conversion(BRAND), timeout=1.0)
    endpoint = subscribe(rpc, receiver.url, "conversion.attributed")
    assert received(container, config, conversion(BRAND))  # from the answer on
    receiver.wait_for(1)
    assert [body["type"] for body in receiver.verified(endpoint["secret"])] == [
        "conversion.attributed"]


def test_an_update_that_adds_a_type_binds_it(webhooks):
    container, config, rpc, receiver = webhooks
    endpoint = subscribe(rpc, receiver.url, "commission.created")
    rpc.webhooks.update_endpoint(endpoint["endpoint_id"],
                                 {"event_types": ["conversion.attributed"]})
    assert received(container, config, conversion(BRAND))


def test_bindings_the_broker_lost_are_made_again_by_the_timer(webhooks):
    container, config, rpc, receiver = webhooks
    subscribe(rpc, receiver.url, "conversion.attributed")
    with Connection(config["AMQP_URI"]) as conn:  # as a broker that lost its bindings
        conn.channel().queue_unbind(QUEUE, get_event_exchange("tracking", config).name,
                                    "conversion_attributed")
    # the timer (every 0.2 s here) binds every subscribed type again
    assert any(received(container, config, conversion(BRAND), timeout=0.5)
               for _ in range(10))
