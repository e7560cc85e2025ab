"""Webhooks end to end: services as `nameko run` processes, real receivers on 127.0.0.1.

* the whole chain: a brand subscribes, a visitor converts on its campaign, and its
  receiver gets ``conversion.attributed`` and ``commission.created`` signed (checked with
  the ``standardwebhooks`` verifier), with exactly the documented fields -- and nothing
  of another brand's campaign, converted by the same partner meanwhile; the endpoint's
  secret is stored sealed by the key ring in the environment;
* kill -9 of the webhooks service in the middle of 500 deliveries, then a restart: the
  receiver, de-duplicating by ``webhook-id``, counts each of the 500 exactly once.
"""
from __future__ import annotations

import signal
import time
import uuid

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from common.nameko.config import db_uri
from common.seedwork.infrastructure.database import Database
from services.webhooks.domain import catalogue
from services.webhooks.infrastructure.tables import endpoints
from tests.e2e.conftest import config_for
from tests.e2e.test_money_flow import CPS_10, Platform
from tests.integration.webhooks.world import KEY_1, commission, publish
from tests.support import wait_for
from tests.webhook_receiver import Receiver

LOCAL = {"WEBHOOKS_ALLOW_HTTP": "true", "WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS": "true",
         "WEBHOOKS_POLL_INTERVAL": "0.2", "TRACKING_TOO_FAST_SECONDS": "0",
         "COMMISSIONS_APPROVAL_INTERVAL": "0.3", "WEBHOOKS_SECRET_KEYS": KEY_1}
CHAIN = ("conversion.attributed", "commission.created")


def subscribe(rpc, brand_id, url):
    return rpc.webhooks.create_endpoint({"owner_type": "brand", "owner_id": brand_id,
                                         "url": url, "event_types": list(CHAIN)})


def stored_secret(config, endpoint_id) -> str:
    """What the webhooks database holds: sealed by the key ring in the environment."""
    database = Database(db_uri(config, "webhooks"))
    try:
        with database.reader() as conn:
            return conn.execute(select(endpoints.c.secret)
                                .where(endpoints.c.id == endpoint_id)).scalar_one()
    finally:
        database.dispose()


def test_a_conversion_reaches_its_brands_receiver_signed_and_no_other_brands(
        start_stack, e2e_env):
    start_stack("partners", "campaigns", "tracking", "commissions", "webhooks",
                extra_env=LOCAL)
    config = config_for({**e2e_env, **LOCAL})
    with ClusterRpcProxy(config, timeout=10) as rpc, Receiver() as mine, \
            Receiver() as theirs:
        platform = Platform(rpc, config)
        brand, campaign = platform.campaign(CPS_10)
        other_brand, other_campaign = platform.campaign(CPS_10)
        endpoint = subscribe(rpc, brand, mine.url)
        other = subscribe(rpc, other_brand, theirs.url)
        assert stored_secret(config, endpoint["endpoint_id"]).startswith("sealed:v1:t1:")
        partner = platform.partner(f"Hook{uuid.uuid4().hex[:6]}")
        platform.sale(brand, platform.enroll(campaign, partner), "200.00")
        bodies = {body["type"]: body for body in mine.wait_for(2, timeout=20)
                  and mine.verified(endpoint["secret"])}
        assert set(bodies) == set(CHAIN)
        for kind, body in bodies.items():
            assert set(body) == {"type", "version", "timestamp", "event_id", "data"}
            assert tuple(body["data"]) == catalogue.BY_NAME[kind].field_names
            assert body["data"]["brand_id"] == brand and body["data"]["partner_id"] == partner
        attributed, created = bodies["conversion.attributed"], bodies["commission.created"]
        assert attributed["data"]["order_amount"] == {"amount": "200.00", "currency": "USD"}
        assert created["data"]["amount"] == {"amount": "20.00", "currency": "USD"}
        assert created["data"]["conversion_id"] == attributed["data"]["conversion_id"]
        time.sleep(1.0)
        assert mine.count() == 2 and theirs.count() == 0
        platform.sale(other_brand, platform.enroll(other_campaign, partner), "50.00")
        theirs.wait_for(2, timeout=20)
        assert {b["data"]["brand_id"] for b in theirs.verified(other["secret"])} == {other_brand}
        time.sleep(0.5)
        assert mine.count() == 2


def test_kill_9_in_the_middle_of_500_deliveries_loses_none(start_stack, e2e_env):
    fast = {**LOCAL, "WEBHOOKS_TIMEOUT": "1", "WEBHOOKS_LEASE_SECONDS": "1",
            "WEBHOOKS_MAX_IN_FLIGHT": "16", "WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT": "8"}
    stack = start_stack("webhooks", extra_env=fast)
    config = config_for({**e2e_env, **fast})
    brand = str(uuid.uuid4())
    with Receiver() as receiver:
        with ClusterRpcProxy(config, timeout=10) as rpc:
            endpoint = rpc.webhooks.create_endpoint({
                "owner_type": "brand", "owner_id": brand, "url": receiver.url,
                "event_types": ["commission.created"]})
        sent = set(publish(config, "commissions", "commission_created",
                           *(commission(brand) for _ in range(500))))
        receiver.wait_for(120, timeout=30)
        webhooks = stack.processes["webhooks"]
        webhooks.process.send_signal(signal.SIGKILL)
        webhooks.process.wait(5)
        at_kill = receiver.count()
        assert webhooks.process.returncode == -signal.SIGKILL and at_kill < 500
        stack.restart("webhooks", extra_env=fast)
        wait_for(lambda: len(receiver.unique()) >= 500, timeout=40, interval=0.2,
                 message="every delivery after the restart")
        time.sleep(1.5)  # anything sent twice arrives now
        unique = receiver.unique()
        assert len(unique) == 500
        received_events = {request.json()["event_id"] for request in unique.values()}
        assert received_events == sent
        duplicates = receiver.count() - len(unique)
        print(f"kill -9 after {at_kill} requests: 500 unique deliveries, "
              f"{duplicates} duplicate(s) de-duplicated by webhook-id")
        receiver.verified(endpoint["secret"])
