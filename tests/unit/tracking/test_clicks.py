from datetime import timedelta

import pytest

from common.seedwork.errors import ValidationError
from services.tracking.domain import reasons
from services.tracking.domain.clicks import ClickRequest, accept, screen
from services.tracking.domain.fraud import FloodGate, FraudRules
from tests.unit.tracking.builders import NOW, campaign, minutes, target, terms

RULES = FraudRules(max_clicks_per_minute=2)
SKEW = timedelta(minutes=5)


def record(referral, *, gate=None, at=None, ip="10.0.0.1", landing_url=None):
    request = ClickRequest(referral_code=referral.enrollment.referral_code, ip=ip,
                           user_agent="UA", landing_url=landing_url, occurred_at=at)
    accepted = accept(request, referral, now=NOW, max_skew=SKEW)
    return screen(accepted, now=NOW, gate=gate or FloodGate(2, {}), rules=RULES)


def test_a_valid_click_is_attributable_and_carries_who_and_when():
    referral = target()
    click = record(referral, at=NOW - minutes(3))
    assert click.attributable and click.reason is None
    assert (click.partner_id, click.campaign_id, click.brand_id) == (
        referral.enrollment.partner_id, referral.campaign.campaign_id, referral.brand_id)
    assert (click.occurred_at, click.recorded_at, click.terms_version) == (
        NOW - minutes(3), NOW, 1)
    assert click.redirect_url == f"https://shop.example/p?utm=x&click_id={click.click_id}"
    assert not click.billable  # CPS terms


def test_only_valid_clicks_under_cpc_terms_are_billable():
    cpc = [terms(model="CPC")]
    assert record(target(history=cpc)).billable
    assert not record(target(history=cpc, enrollment_status="SUSPENDED")).billable


@pytest.mark.parametrize("referral, reason", [
    (dict(enrollment_status="SUSPENDED"), reasons.ENROLLMENT_SUSPENDED),
    (dict(partner_status="SUSPENDED"), reasons.PARTNER_SUSPENDED),
    (dict(campaign_ref=campaign(status="PAUSED")), reasons.CAMPAIGN_INACTIVE),
    (dict(campaign_ref=campaign(status="ENDED")), reasons.CAMPAIGN_INACTIVE),
    (dict(campaign_ref=campaign(ends_at=NOW - minutes(1))), reasons.CAMPAIGN_INACTIVE),
])
def test_clicks_that_cannot_earn_are_kept_but_flagged(referral, reason):
    click = record(target(**referral))
    assert not click.attributable and click.reason == reason


def test_clicks_beyond_the_flooding_limit_are_flagged():
    referral, gate = target(), FloodGate(2, {})
    flags = [record(referral, gate=gate).reason for _ in range(4)]
    assert flags == [None, None, reasons.CLICK_FLOODING, reasons.CLICK_FLOODING]
    assert record(referral, gate=gate, ip="10.0.0.9").attributable


def test_future_times_and_foreign_deep_links_are_refused():
    with pytest.raises(ValidationError) as future:
        record(target(), at=NOW + SKEW + minutes(1))
    assert "occurred_at" in future.value.fields
    assert record(target(), at=NOW + SKEW).attributable  # within the allowed skew
    with pytest.raises(ValidationError) as foreign:
        record(target(), landing_url="https://elsewhere.example/")
    assert "landing_url" in foreign.value.fields
