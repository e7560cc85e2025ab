from datetime import timedelta

import pytest

from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, ValidationError
from services.tracking.domain import attribution
from services.tracking.domain.attribution import ConversionFacts, Credit, Verdict
from services.tracking.domain.billing import BillableClick, ValidClicksBatched, batch_clicks
from services.tracking.domain.conversion import (
    Conversion,
    ConversionAttributed,
    ConversionRejected,
    ConversionReversed,
    default_refund_id,
)
from tests.unit.tracking.builders import BRAND, NOW, new_id, target, terms


def conversion(status=attribution.ATTRIBUTED, reason=None, amount="100.00") -> Conversion:
    referral = target()
    facts = ConversionFacts(brand_id=BRAND, order_id="o-1", amount=Money.of(amount, "EUR"),
                            occurred_at=NOW)
    credit = None if status == attribution.UNATTRIBUTED else Credit(
        target=referral, click=None, terms=referral.terms_at(NOW))
    return Conversion.of(facts, Verdict(status=status, reason=reason, credit=credit), NOW)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_an_attributed_conversion_records_who_and_which_terms():
    converted = conversion()
    [event] = converted.pull_events()
    assert isinstance(event, ConversionAttributed)
    assert event.conversion.terms_version == 1 and event.conversion.terms["model"] == "CPS"
    assert converted.partner_id and converted.campaign_id and converted.referral_code


def test_rejected_records_its_reason_and_unattributed_records_nothing():
    [event] = conversion(attribution.REJECTED, "too_fast").pull_events()
    assert isinstance(event, ConversionRejected) and event.conversion.reason == "too_fast"
    assert conversion(attribution.UNATTRIBUTED).pull_events() == []


def test_partial_then_full_refund():
    converted = conversion()
    converted.pull_events()
    first = converted.refund("r1", eur("30.00"), NOW)
    rest = converted.refund("r2", None, NOW)
    assert (first.amount, rest.amount) == (eur("30.00"), eur("70.00"))
    assert converted.fully_reversed and converted.refundable == eur("0")
    events = converted.pull_events()
    assert [type(e) for e in events] == [ConversionReversed, ConversionReversed]
    assert events[1].conversion.total_reversed == eur("100.00")


def test_a_refund_id_applies_once():
    converted = conversion()
    assert converted.refund("r1", eur("10.00"), NOW) is not None
    assert converted.refund("r1", eur("10.00"), NOW) is None
    assert converted.refund("r1", None, NOW) is None
    assert converted.total_reversed == eur("10.00")
    with pytest.raises(Conflict) as error:
        converted.refund("r1", eur("20.00"), NOW)
    assert "refund_id" in error.value.fields


@pytest.mark.parametrize("amount", ["100.01", "0", "-5"])
def test_a_refund_never_exceeds_the_order_and_is_positive(amount):
    converted = conversion()
    with pytest.raises(ValidationError) as error:
        converted.refund("r1", eur(amount), NOW)
    assert "amount" in error.value.fields
    assert converted.refunds == []


def test_nothing_left_to_refund():
    converted = conversion()
    converted.refund("full", None, NOW)
    with pytest.raises(ValidationError) as error:
        converted.refund("again", None, NOW)
    assert error.value.fields == {"amount": ["Nothing is left to refund."]}


def test_refunds_of_unattributed_orders_are_kept_without_event():
    converted = conversion(attribution.UNATTRIBUTED)
    converted.refund("r1", None, NOW)
    assert converted.fully_reversed and converted.pull_events() == []


def test_default_refund_id_makes_retries_harmless():
    assert default_refund_id(None) == "full"
    assert default_refund_id(eur("12.5")) == default_refund_id(eur("12.50")) == "partial:12.50"


def billable(enrollment_id, at, version=1, campaign_id="c1") -> BillableClick:
    return BillableClick(click_id=new_id(), brand_id=BRAND, campaign_id=campaign_id,
                         partner_id="p-" + enrollment_id, enrollment_id=enrollment_id,
                         occurred_at=at, terms_version=version)


def test_billable_clicks_are_batched_per_enrollment_day_and_terms_version():
    day2 = NOW + timedelta(days=1)
    clicks = [billable("e1", NOW), billable("e1", NOW + timedelta(hours=1)),
              billable("e1", day2), billable("e2", NOW), billable("e1", NOW, version=2)]
    versions = {1: terms(1, model="CPC"), 2: terms(2, model="CPC")}
    batches = batch_clicks(clicks, lambda campaign, version: versions.get(version), NOW)
    summary = sorted((b.enrollment_id, b.day.isoformat(), b.terms.version, b.size)
                     for b in batches)
    assert summary == [("e1", "2026-06-15", 1, 2), ("e1", "2026-06-15", 2, 1),
                       ("e1", "2026-06-16", 1, 1), ("e2", "2026-06-15", 1, 1)]
    assert sorted(sum((b.click_ids for b in batches), [])) == sorted(c.click_id for c in clicks)
    first = next(b for b in batches if b.size == 2)
    assert (first.first_click_at, first.last_click_at) == (NOW, NOW + timedelta(hours=1))
    assert all(isinstance(b.pull_events()[0], ValidClicksBatched) for b in batches)


def test_clicks_with_unknown_terms_wait_for_their_version():
    assert batch_clicks([billable("e1", NOW, version=9)], lambda c, v: None, NOW) == []
