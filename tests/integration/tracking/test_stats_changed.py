"""``stats_changed`` over the real broker, on SQLite and PostgreSQL: the timer publishes
the daily stats rows a click or a conversion changed, whole, each with a revision that
only goes up, and nothing once nothing changed."""
from datetime import timedelta

import pytest

from common.contracts.tracking import STATS_CHANGED
from tests.integration.tracking.conftest import NOW, RULES
from tests.integration.tracking.helpers import click, convert
from tests.support import wait_for

DAY = NOW.replace(hour=0)


@pytest.fixture
def tracking_settings():
    return {**RULES, "too_fast_min_seconds": 0, "stats_changed_interval_seconds": 0.2}


def rows(probe) -> dict:
    """Every row published so far, the highest revision of each key."""
    newest = {}
    for message in probe.of_type("stats_changed"):
        for row in STATS_CHANGED.parse(message["payload"])["rows"]:
            key = (row["partner_id"], row["campaign_id"], row["day"])
            if key not in newest or row["revision"] > newest[key]["revision"]:
                newest[key] = row
    return newest


def test_the_rows_a_day_changed_leave_whole_and_only_move_forward(rpc, world, event_probe):
    probe = event_probe("tracking", "stats_changed")
    campaign = world.campaign()
    alice, bob = world.enroll(campaign), world.enroll(campaign)
    for n in range(3):
        click(rpc, alice, ip=f"10.0.0.{n}", at=DAY + timedelta(hours=8))
    click(rpc, bob, ip="10.1.0.1", at=DAY + timedelta(hours=9))
    convert(rpc, campaign, "a-1", "80.00", referral_code=alice["referral_code"])

    def published():
        held = rows(probe)
        alice_row = held.get((alice["partner_id"], campaign.id, DAY.date()))
        return held if alice_row and alice_row["conversions"] == 1 and len(held) == 2 else None

    held = wait_for(published, timeout=15, message="both partners' rows")
    alice_row = held[(alice["partner_id"], campaign.id, DAY.date())]
    assert (alice_row["clicks"], alice_row["valid_clicks"]) == (3, 3)
    assert alice_row["revenue"]["amount"] == 80 and alice_row["brand_id"] == campaign.brand_id
    bob_row = held[(bob["partner_id"], campaign.id, DAY.date())]
    assert (bob_row["clicks"], bob_row["conversions"]) == (1, 0)

    # quiet: no batch at all; one more click: its row again, one revision up
    count = len(probe.drain(settle=0.8))
    assert len(probe.drain(settle=0.6)) == count
    click(rpc, bob, ip="10.1.0.2", at=DAY + timedelta(hours=10))
    wait_for(lambda: rows(probe)[(bob["partner_id"], campaign.id, DAY.date())]["clicks"] == 2,
             timeout=15, message="bob's second click")
    newer = rows(probe)[(bob["partner_id"], campaign.id, DAY.date())]
    assert newer["revision"] > bob_row["revision"]
    assert rows(probe)[(alice["partner_id"], campaign.id, DAY.date())] == alice_row
