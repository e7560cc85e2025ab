"""The use cases on in-memory fakes: outcomes, events and stats tallies."""
from datetime import timedelta
from decimal import Decimal

import pytest

from common.contracts.tracking import ATTRIBUTIONS, REJECTION_REASONS
from common.seedwork.errors import Forbidden, NotFound, ValidationError
from services.tracking.application import commands
from services.tracking.application.settings import TrackingSettings
from services.tracking.domain import attribution, reasons
from services.tracking.domain.clicks import Click, ClickRequest
from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.references import PartnerRef
from tests.unit.tracking.builders import BRAND, NOW, campaign, minutes, target, terms

SETTINGS = TrackingSettings(rules=FraudRules(max_clicks_per_minute=2, min_seconds_to_convert=5))


@pytest.fixture
def settings():
    return SETTINGS


@pytest.fixture
def referral(uow):
    return uow.references.add_target(target())


def clicks(bus, *requests):
    return bus.handle(commands.RecordClicks(clicks=tuple(requests)))


def click_on(referral, ip="10.0.0.1", **extra) -> ClickRequest:
    return ClickRequest(referral_code=referral.enrollment.referral_code, ip=ip,
                        user_agent="UA", **extra)


def convert(bus, order_id="o-1", amount="50.00", **extra):
    return bus.handle(commands.RecordConversion(
        brand_id=BRAND, order_id=order_id, amount=Decimal(amount), currency="EUR", **extra))


def test_reasons_are_the_contracts():
    assert set(reasons.ALL) == set(REJECTION_REASONS)


def test_what_credits_a_conversion_is_the_contracts():
    assert {attribution.BY_CLICK, attribution.BY_CODE, attribution.BY_CUSTOMER} == set(
        ATTRIBUTIONS)


def test_a_batch_answers_each_click_and_stores_the_good_ones(bus, uow, referral):
    outcomes = clicks(bus, click_on(referral), ClickRequest(referral_code="nope", ip="1.1.1.1",
                                                            user_agent="UA"),
                      click_on(referral, occurred_at=NOW + timedelta(hours=1)))
    assert isinstance(outcomes[0], Click) and outcomes[0].attributable
    assert isinstance(outcomes[1], NotFound) and "referral_code" in outcomes[1].fields
    assert isinstance(outcomes[2], ValidationError) and "occurred_at" in outcomes[2].fields
    assert list(uow.clicks.clicks) == [outcomes[0].click_id]
    key = (referral.campaign.campaign_id, referral.enrollment.partner_id, NOW.date())
    assert (uow.stats.rows[key].clicks, uow.stats.rows[key].valid_clicks) == (1, 1)


def test_flooding_counts_across_batches(bus, uow, referral):
    first = clicks(bus, click_on(referral), click_on(referral))
    second = clicks(bus, click_on(referral), click_on(referral, ip="10.0.0.2"))
    assert [c.attributable for c in first + second] == [True, True, False, True]
    key = (referral.campaign.campaign_id, referral.enrollment.partner_id, NOW.date())
    assert (uow.stats.rows[key].clicks, uow.stats.rows[key].valid_clicks) == (4, 3)


def test_a_batch_of_nothing_valid_commits_nothing(bus, uow):
    outcomes = clicks(bus, ClickRequest(referral_code="nope", ip="1.1.1.1", user_agent="UA"))
    assert isinstance(outcomes[0], NotFound) and uow.commits == 0


def test_the_same_order_twice_is_one_conversion_and_one_event(bus, uow, referral, clock):
    [click] = clicks(bus, click_on(referral))
    clock.now = NOW + minutes(2)
    first = convert(bus, click_id=click.click_id)
    again = convert(bus, click_id=click.click_id, amount="999.00")
    assert first == again
    [event] = uow.published("conversion_attributed")
    assert event.payload["order_amount"] == {"amount": "50.00", "currency": "EUR"}
    assert event.payload["terms"]["model"] == "CPS" and event.payload["terms_version"] == 1
    key = (referral.campaign.campaign_id, referral.enrollment.partner_id, NOW.date())
    assert (uow.stats.rows[key].conversions, uow.stats.rows[key].revenue) == (1, Decimal("50"))


def test_another_brands_click_or_code_is_forbidden(bus, uow):
    foreign = uow.references.add_target(target(campaign_ref=campaign(
        brand_id="22222222-2222-4222-8222-222222222222")))
    [click] = clicks(bus, click_on(foreign))
    with pytest.raises(Forbidden) as by_click:
        convert(bus, click_id=click.click_id)
    with pytest.raises(Forbidden) as by_code:
        convert(bus, referral_code=foreign.enrollment.referral_code)
    assert "click_id" in by_click.value.fields and "referral_code" in by_code.value.fields
    assert uow.conversions.items == {} and uow.outbox == []


def test_unknown_click_or_code_is_not_found(bus):
    with pytest.raises(NotFound):
        convert(bus, click_id="6f9619ff-8b86-d011-b42d-00c04fc964ff")
    with pytest.raises(NotFound):
        convert(bus, referral_code="NOPE")


def test_the_customers_last_click_from_their_ip_wins(bus, uow, clock):
    first = uow.references.add_target(target())
    second = uow.references.add_target(target())
    [reported] = clicks(bus, click_on(first, ip="10.1.1.1"))
    clock.now = NOW + minutes(10)
    clicks(bus, click_on(second, ip="10.1.1.1"))
    clock.now = NOW + minutes(20)
    convert(bus, click_id=reported.click_id, customer_ip="10.1.1.1")
    [event] = uow.published("conversion_attributed")
    assert event.payload["partner_id"] == second.enrollment.partner_id


def test_a_rejection_is_published_with_its_reason(bus, uow, referral, clock):
    [click] = clicks(bus, click_on(referral))
    clock.now = NOW + timedelta(seconds=2)
    convert(bus, click_id=click.click_id)
    [event] = uow.published("conversion_rejected")
    assert event.payload["reason"] == "too_fast"
    assert uow.published("conversion_attributed") == []


def test_self_referral_uses_the_ips_the_partner_used(bus, uow, referral, clock):
    partner_id = referral.enrollment.partner_id
    bus.handle(commands.RecordPartnerIp(partner_id=partner_id, ip="192.0.2.7"))
    clock.now = NOW + minutes(5)
    convert(bus, referral_code=referral.enrollment.referral_code, customer_ip="192.0.2.7")
    convert(bus, "o-2", referral_code=referral.enrollment.referral_code, customer_ip="192.0.2.8")
    assert [e.payload["reason"] for e in uow.published("conversion_rejected")] == [
        "self_referral"]
    assert len(uow.published("conversion_attributed")) == 1


def test_refund_more_than_the_order_is_a_validation_error(bus, uow, referral):
    convert(bus, referral_code=referral.enrollment.referral_code)
    with pytest.raises(ValidationError) as error:
        bus.handle(commands.ReverseConversion(brand_id=BRAND, order_id="o-1",
                                              amount=Decimal("50.01")))
    assert "amount" in error.value.fields
    bus.handle(commands.ReverseConversion(brand_id=BRAND, order_id="o-1", refund_id="r1",
                                          amount=Decimal("20")))
    bus.handle(commands.ReverseConversion(brand_id=BRAND, order_id="o-1", refund_id="r1",
                                          amount=Decimal("20")))
    [event] = uow.published("conversion_reversed")
    assert event.payload["reversed_amount"] == {"amount": "20.00", "currency": "EUR"}
    assert event.payload["fully_reversed"] is False
    key = (referral.campaign.campaign_id, referral.enrollment.partner_id, NOW.date())
    assert uow.stats.rows[key].revenue == Decimal("30.00")


def test_refund_of_an_unknown_order_or_with_too_many_decimals(bus, referral):
    with pytest.raises(NotFound):
        bus.handle(commands.ReverseConversion(brand_id=BRAND, order_id="nope"))
    convert(bus, referral_code=referral.enrollment.referral_code)
    with pytest.raises(ValidationError) as error:
        bus.handle(commands.ReverseConversion(brand_id=BRAND, order_id="o-1",
                                              amount=Decimal("1.001")))
    assert "amount" in error.value.fields


def test_replicas_keep_the_newest_revision(bus, uow, referral):
    partner_id = referral.enrollment.partner_id
    suspended = PartnerRef(partner_id=partner_id, email="a@b.example", status="SUSPENDED")
    active = PartnerRef(partner_id=partner_id, email="a@b.example", status="ACTIVE")
    bus.handle(commands.ReplicatePartner(partner=suspended, revision=5))
    bus.handle(commands.ReplicatePartner(partner=active, revision=4))  # late, older
    assert uow.references.partners[partner_id] == (suspended, 5)
    new_terms = terms(2, effective_from=NOW)
    bus.handle(commands.ReplicateCampaign(campaign=referral.campaign, revision=2,
                                          terms=(new_terms,)))
    assert set(uow.references.terms[referral.campaign.campaign_id]) == {1, 2}


def test_old_flooding_counters_are_purged(bus, uow, referral, clock):
    clicks(bus, click_on(referral, occurred_at=NOW - timedelta(hours=2)), click_on(referral))
    assert len(uow.clicks.counters) == 2
    assert bus.handle(commands.PurgeFloodCounters()) == 1  # retention: one hour
    [(_, _, minute)] = uow.clicks.counters
    assert minute == NOW


def test_a_repeated_order_the_checks_would_refuse_now_answers_the_first(bus, uow, referral):
    """The insert finds a repeat (nothing is read before it); a repeat refused before its
    insert -- another currency, an unknown code -- is still the order stored."""
    winner = convert(bus, referral_code=referral.enrollment.referral_code)
    assert bus.handle(commands.RecordConversion(
        brand_id=BRAND, order_id="o-1", amount=Decimal("50.00"), currency="USD",
        referral_code=referral.enrollment.referral_code)) == winner
    assert convert(bus, referral_code="NOPE") == winner
    with pytest.raises(NotFound):  # a new order with that code is refused
        convert(bus, order_id="o-2", referral_code="NOPE")
    assert len(uow.published("conversion_attributed")) == 1
