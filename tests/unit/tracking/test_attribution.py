from datetime import timedelta
from decimal import Decimal

import pytest

from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError
from services.tracking.domain import attribution, reasons
from services.tracking.domain.attribution import ConversionFacts, credit_for, judge, last_click
from services.tracking.domain.clicks import ClickTrace
from services.tracking.domain.fraud import FraudRules
from tests.unit.tracking.builders import BRAND, NOW, T0, campaign, minutes, new_id, target, terms

RULES = FraudRules(min_seconds_to_convert=10)


def trace(referral, at, *, ip="10.0.0.1", reason=None) -> ClickTrace:
    return ClickTrace(click_id=new_id(), enrollment_id=referral.enrollment.enrollment_id,
                      brand_id=referral.brand_id, ip=ip, occurred_at=at, reason=reason)


def facts(**changes) -> ConversionFacts:
    values = dict(brand_id=BRAND, order_id="o-1", amount=Money.of("80.00", "EUR"),
                  occurred_at=NOW, customer_ip="172.16.0.1")
    return ConversionFacts(**{**values, **changes})


def verdict(referral, click=None, *, code_target=None, partner_ips=(), rules=RULES, **fact):
    conversion = facts(**fact)
    return judge(conversion, credit_for(conversion, click, referral if click else None,
                                        code_target),
                 partner_ips=set(partner_ips), rules=rules)


def test_the_latest_click_not_after_the_conversion_wins():
    first, second = target(), target()
    early, late = trace(first, NOW - minutes(30)), trace(second, NOW - minutes(5))
    future = trace(first, NOW + minutes(1))
    assert last_click([early, late, None, future], NOW) == late
    assert last_click([None], NOW) is None


def test_a_click_inside_the_window_attributes_with_the_terms_in_force_then():
    v1, v2 = terms(1, effective_from=T0), terms(2, effective_from=NOW - timedelta(days=1))
    referral = target(history=[v1, v2])
    result = verdict(referral, trace(referral, NOW - timedelta(days=3)))
    assert result.status == attribution.ATTRIBUTED and result.reason is None
    assert result.credit.target == referral and result.credit.terms == v2


def test_a_click_outside_the_window_leaves_the_order_unattributed():
    referral = target(history=[terms(window_days=7)])
    result = verdict(referral, trace(referral, NOW - timedelta(days=7, minutes=1)))
    assert result.status == attribution.UNATTRIBUTED and result.credit is None


def test_without_a_valid_click_the_reported_code_attributes():
    referral, coupon = target(history=[terms(window_days=1)]), target()
    stale = trace(referral, NOW - timedelta(days=2))
    result = verdict(referral, stale, code_target=coupon)
    assert result.status == attribution.ATTRIBUTED
    assert result.credit.target == coupon and result.credit.click is None


def test_no_click_and_no_code_is_unattributed():
    assert verdict(target()).status == attribution.UNATTRIBUTED


@pytest.mark.parametrize("setup, reason", [
    (dict(click_reason=reasons.CLICK_FLOODING), reasons.CLICK_FLOODING),
    (dict(partner_status="SUSPENDED"), reasons.PARTNER_SUSPENDED),
    (dict(enrollment_status="SUSPENDED"), reasons.ENROLLMENT_SUSPENDED),
    (dict(campaign_ref=campaign(status="PAUSED")), reasons.CAMPAIGN_INACTIVE),
    (dict(partner_ips={"172.16.0.1"}), reasons.SELF_REFERRAL),            # customer's IP
    (dict(partner_ips={"10.0.0.1"}), reasons.SELF_REFERRAL),              # click's IP
    (dict(customer_id="ana@partner.example"), reasons.SELF_REFERRAL),
    (dict(seconds=9), reasons.TOO_FAST),
])
def test_each_rule_rejects_its_case_with_its_reason(setup, reason):
    options = {k: setup[k] for k in ("partner_status", "enrollment_status", "campaign_ref")
               if k in setup}
    referral = target(**options)
    click = trace(referral, NOW - timedelta(seconds=setup.get("seconds", 60)),
                  reason=setup.get("click_reason"))
    extra = {"customer_id": setup["customer_id"]} if "customer_id" in setup else {}
    result = verdict(referral, click, partner_ips=setup.get("partner_ips", ()), **extra)
    assert (result.status, result.reason) == (attribution.REJECTED, reason)
    assert result.credit.target == referral  # rejected conversions still name who


def test_legitimate_traffic_of_the_same_partner_still_attributes():
    referral = target()
    result = verdict(referral, trace(referral, NOW - minutes(1), ip="10.9.9.9"),
                     partner_ips={"10.0.0.1"}, customer_id="customer-42")
    assert result.status == attribution.ATTRIBUTED


def test_rules_switched_off_let_the_case_through():
    referral = target()
    click = trace(referral, NOW - timedelta(seconds=1))
    lenient = FraudRules(min_seconds_to_convert=None, self_referral=False)
    assert verdict(referral, click, rules=lenient, partner_ips={"10.0.0.1"}).status == \
        attribution.ATTRIBUTED


def test_a_conversion_before_any_terms_is_rejected_as_campaign_inactive():
    referral = target(history=[terms(effective_from=NOW + timedelta(days=1))])
    result = verdict(target(), code_target=referral)
    assert (result.status, result.reason) == (attribution.REJECTED, reasons.CAMPAIGN_INACTIVE)


def test_a_credited_order_must_be_in_the_campaign_currency():
    referral = target()
    conversion = facts(amount=Money.of(Decimal("10"), "USD"))
    with pytest.raises(ValidationError) as error:
        attribution.check_currency(conversion, credit_for(conversion, None, None, referral))
    assert "currency" in error.value.fields
    attribution.check_currency(conversion, None)  # unattributed: any currency
