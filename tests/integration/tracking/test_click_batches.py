"""clicks_attributed: the valid clicks of CPC campaigns, batched per partner, campaign and
UTC day by the periodic task -- each click in exactly one batch, once."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import text

from common.seedwork.domain.clock import isoformat
from tests.integration.tracking.conftest import NOW, RULES
from tests.integration.tracking.helpers import BROWSER
from tests.integration.tracking.world import terms
from tests.support import wait_for

YESTERDAY = NOW - timedelta(days=1)


@pytest.fixture
def tracking_settings():
    return {**RULES, "clicks_attributed_interval_seconds": 0.2}


def clicks(rpc, enrollment, *times, ip=None):
    items = [{"referral_code": enrollment["referral_code"], "ip": ip or f"10.7.0.{n}",
              "user_agent": BROWSER, "occurred_at": isoformat(at)}
             for n, at in enumerate(times)]
    return rpc.record_clicks(items)["results"]


def batched_clicks(probe, expected_total):
    def total():
        events = probe.of_type("clicks_attributed")
        return sum(e["payload"]["valid_clicks"] for e in events) >= expected_total and events
    return wait_for(total, timeout=15, message=f"{expected_total} batched clicks")


def test_valid_cpc_clicks_are_batched_once_per_partner_and_day(rpc, world, event_probe):
    probe = event_probe("tracking", "clicks_attributed")
    cpc = terms(model="CPC", amount="0.25")
    campaign = world.campaign(first_terms=cpc)
    alice, bob, carol = (world.enroll(campaign) for _ in range(3))
    world.set_enrollment_status(carol, "SUSPENDED")

    clicks(rpc, alice, NOW, NOW, NOW - timedelta(hours=1), YESTERDAY, YESTERDAY)
    flooded = clicks(rpc, bob, *[NOW] * 4, ip="10.8.0.1")       # limit 3: one flood
    assert [c["attributable"] for c in flooded] == [True, True, True, False]
    assert not any(c["attributable"] for c in clicks(rpc, carol, NOW, NOW))

    events = batched_clicks(probe, 8)
    by_key = Counter()
    for event in events:
        payload = event["payload"]
        by_key[(payload["partner_id"], payload["day"])] += payload["valid_clicks"]
        assert payload["campaign_id"] == campaign.id and payload["terms"] == cpc
        assert payload["terms_version"] == 1
    assert by_key == {(alice["partner_id"], NOW.date().isoformat()): 3,
                      (alice["partner_id"], YESTERDAY.date().isoformat()): 2,
                      (bob["partner_id"], NOW.date().isoformat()): 3}

    clicks(rpc, alice, NOW - timedelta(minutes=5), NOW - timedelta(minutes=6))
    events = batched_clicks(probe, 10)
    assert sum(e["payload"]["valid_clicks"] for e in events) == 10
    assert len(probe.drain(settle=0.6)) == len(events)  # nothing batched twice

    with world.database.reader() as conn:
        stamped = dict(conn.execute(text(
            "SELECT cpc_batch_id, count(*) FROM clicks WHERE cpc_batch_id IS NOT NULL "
            "GROUP BY cpc_batch_id")).all())
        unbilled = conn.execute(text(
            "SELECT count(*) FROM clicks WHERE billable AND cpc_batch_id IS NULL")).scalar()
    assert stamped == {e["payload"]["batch_id"]: e["payload"]["valid_clicks"] for e in events}
    assert unbilled == 0


def test_cps_clicks_are_never_batched(rpc, world, event_probe):
    probe = event_probe("tracking", "clicks_attributed")
    campaign = world.campaign()  # CPS
    clicks(rpc, world.enroll(campaign), NOW, NOW)
    assert probe.drain(settle=0.8) == []
