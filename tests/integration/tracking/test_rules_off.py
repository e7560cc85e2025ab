"""Every fraud rule is a config knob: switched off, its case goes through."""
import pytest

from tests.integration.tracking.conftest import NOW, RULES
from tests.integration.tracking.helpers import click, convert


@pytest.fixture
def tracking_settings():
    return {**RULES, "flooding_max_clicks_per_minute": 0, "too_fast_min_seconds": 0,
            "self_referral_enabled": False, "reject_suspended": False}


def test_rules_switched_off_let_their_cases_through(rpc, world, clock):
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    world.partner(enrollment["partner_id"], status="SUSPENDED")
    rpc.record_partner_ip({"partner_id": enrollment["partner_id"], "ip": "10.0.0.1"})
    burst = [click(rpc, enrollment, at=NOW) for _ in range(6)]
    assert all(c["attributable"] for c in burst)
    result = convert(rpc, campaign, "o", click_id=burst[-1]["click_id"],
                     customer_ip="10.0.0.1")
    assert (result["status"], result["reason"]) == ("ATTRIBUTED", None)
