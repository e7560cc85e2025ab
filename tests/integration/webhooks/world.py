"""The webhooks service on the real broker and database, with real HTTP receivers on
127.0.0.1: contract-valid events published the way the other services' relays do, and
the WEBHOOKS settings shortened so a retry schedule lasts a second."""
from __future__ import annotations

import base64
import copy
import uuid

from kombu import Connection
from nameko.standalone.events import get_event_exchange

from common.contracts import find
from common.contracts.examples import example
from common.seedwork.application.integration import IntegrationEvent
from tests.support import migrated, service_config

# a key ring of the tests' own (sealing.new_key's form): every test's secrets are sealed
KEY_1 = "t1:" + base64.b64encode(bytes(range(32))).decode()
KEY_2 = "t2:" + base64.b64encode(bytes(range(32, 64))).decode()
FAST = {
    "allow_http": True, "allow_private_destinations": True,
    "retry_schedule_seconds": [0, 0.3, 0.6], "retry_jitter": 0,
    "connect_timeout_seconds": 0.5, "timeout_seconds": 1.0,
    "disable_after_failures": 3, "disable_after_seconds": 0.5,
    "poll_interval_seconds": 0.1, "lease_seconds": 3, "max_in_flight": 8,
    "max_in_flight_per_endpoint": 2, "rotation_grace_seconds": 60,
    "secret_keys": KEY_1,
}


def webhooks_config(rabbit_config, make_db_uri, db_kind, **settings) -> dict:
    uri = migrated("webhooks", make_db_uri(db_kind, "webhooks"))
    return service_config(rabbit_config, {"webhooks": uri}, max_workers=30,
                          WEBHOOKS={**FAST, **settings})


def payload(source: str, name: str, **changes) -> dict:
    """The contract's example payload with ``changes`` (top level, and ``campaign``)."""
    body = copy.deepcopy(example(find(source, name)))
    campaign = changes.pop("campaign", None)
    body.update(changes)
    if campaign:
        body["campaign"].update(campaign)
    return body


def publish(config: dict, source: str, name: str, *bodies: dict,
            times: int = 1) -> str | list[str]:
    """Each body as one event, on one connection: its event id (a list for several).
    ``times``: each event sent that many times (the same message: a redelivery)."""
    contract = find(source, name)
    exchange = get_event_exchange(source, config)
    ids = []
    with Connection(config["AMQP_URI"]) as conn:
        producer = conn.Producer(serializer="json")
        for body in bodies:
            message = IntegrationEvent.new(source=source, type=name,
                                           version=contract.version,
                                           payload=contract.serialize(body)).to_message()
            for _ in range(times):
                producer.publish(message, exchange=exchange, routing_key=name,
                                 declare=[exchange], delivery_mode=2)
            ids.append(message["event_id"])
    return ids[0] if len(ids) == 1 else ids


def conversion(brand_id: str, partner_id: str | None = None, **changes) -> dict:
    return payload("tracking", "conversion_attributed", brand_id=brand_id,
                   partner_id=partner_id or str(uuid.uuid4()),
                   conversion_id=str(uuid.uuid4()), **changes)


def enrollment(brand_id: str, partner_id: str | None = None) -> dict:
    return payload("campaigns", "partner_enrolled", brand_id=brand_id,
                   partner_id=partner_id or str(uuid.uuid4()),
                   enrollment_id=str(uuid.uuid4()))


def commission(brand_id: str, partner_id: str | None = None, **changes) -> dict:
    return payload("commissions", "commission_created", brand_id=brand_id,
                   partner_id=partner_id or str(uuid.uuid4()),
                   commission_id=str(uuid.uuid4()), **changes)
