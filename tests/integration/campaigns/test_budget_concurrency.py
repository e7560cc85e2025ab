"""Many reservations at once on a nearly exhausted budget, on SQLite and PostgreSQL.

24 requests are in flight together (each reservation id twice) and the service runs
them on 25 workers at the same time: the campaign row lock must keep the total within
the budget, make a repeated id return the first answer, and let exactly one of them
announce the exhaustion.
"""
from decimal import Decimal

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts.campaigns import BudgetExhausted
from common.nameko.config import db_uri
from common.seedwork.infrastructure.database import Database
from services.campaigns.infrastructure.tables import budget_reservations, outbox_messages
from services.campaigns.service import CampaignsService
from tests.integration.campaigns.support import campaign_payload, campaigns_config, count, usd
from tests.support import wait_for

CPA_10 = {"model": "CPA", "amount": usd("10.00"), "attribution_window_days": 30,
          "hold_days": 0}
CALLERS = 24


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    return campaigns_config(rabbit_config, make_db_uri, db_kind, max_workers=CALLERS + 1)


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "campaigns"))
    yield database
    database.dispose()


def outcome(reply):
    try:
        return reply.result()
    except BudgetExhausted:
        return "budget_exhausted"


def test_concurrent_reservations_never_overspend(config, container_factory, db, event_probe):
    container_factory(CampaignsService, config).start()
    probe = event_probe("campaigns")
    with ClusterRpcProxy(config, timeout=30) as rpc:
        campaigns = rpc.campaigns
        brand_id = campaigns.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
        campaign_id = campaigns.create_campaign(
            campaign_payload(brand_id, terms=CPA_10))["campaign_id"]
        campaigns.activate_campaign(campaign_id, brand_id)
        campaigns.reserve_budget({"campaign_id": campaign_id, "reservation_id": "seed",
                                  "amount": usd("950.00")})  # 50.00 left

        ids = [f"conv-{n}" for n in range(CALLERS // 2)]
        payloads = [{"campaign_id": campaign_id, "reservation_id": reservation_id,
                     "amount": usd("7.00")} for reservation_id in ids + ids]
        replies = [campaigns.reserve_budget.call_async(p) for p in payloads]
        outcomes = [outcome(reply) for reply in replies]
        budget = campaigns.get_budget(campaign_id)
        campaign = campaigns.get_campaign(campaign_id)

    first, repeat = outcomes[:len(ids)], outcomes[len(ids):]
    assert first == repeat  # a repeated reservation id gets the very same answer
    granted = [result for result in first if result != "budget_exhausted"]
    assert len(granted) == 7  # 7 x 7.00 = 49.00 of the 50.00 left; the 8th would overspend
    assert sorted(Decimal(r["remaining"]["amount"]) for r in granted) == list(range(1, 50, 7))
    assert budget["reserved"] == usd("999.00") and budget["remaining"] == usd("1.00")
    assert count(db, budget_reservations) == 1 + len(granted)
    assert (campaign["status"], campaign["pause_reason"]) == ("PAUSED", "budget_exhausted")

    assert count(db, outbox_messages, outbox_messages.c.event_type == "budget_exhausted") == 1
    [exhausted] = wait_for(lambda: probe.of_type("budget_exhausted"), message="the event")
    # announced as soon as less than a 10.00 commission was left: after the 6th grant
    assert exhausted["payload"]["remaining"] == usd("8.00")
    paused = [m for m in probe.of_type("campaign_paused")
              if m["payload"]["reason"] == "budget_exhausted"]
    assert len(paused) == 1
