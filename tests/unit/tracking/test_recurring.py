"""Recurring commissions: a referred customer's later orders, with neither click nor
code, credited to the partner of the customer's first attributed order, within the
``recurring_months`` of the terms in force at each order."""
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from common.seedwork.domain.money import Money
from services.tracking.application import commands
from services.tracking.application.settings import TrackingSettings
from services.tracking.domain import attribution
from services.tracking.domain.attribution import ConversionFacts, CustomerReferral, renewal_credit
from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.terms import months_after
from tests.unit.tracking.builders import BRAND, NOW, T0, target, terms

SETTINGS = TrackingSettings(rules=FraudRules(min_seconds_to_convert=5))


def at(year, month, day) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("start, months, expected", [
    (at(2026, 1, 15), 1, at(2026, 2, 15)),
    (at(2026, 1, 31), 1, at(2026, 2, 28)),     # the shorter month's last day
    (at(2028, 1, 31), 1, at(2028, 2, 29)),     # a leap year's
    (at(2026, 11, 30), 3, at(2027, 2, 28)),    # across the year
    (at(2026, 12, 1), 12, at(2027, 12, 1)),
    (at(2026, 5, 31), 120, at(2036, 5, 31)),
])
def test_months_after_counts_calendar_months(start, months, expected):
    assert months_after(start, months) == expected


def test_renewals_earn_for_the_months_the_terms_say_the_last_moment_excluded():
    monthly = terms(recurring_months=12)
    since = at(2026, 1, 15)
    payments = [months_after(since, n) for n in range(13)]  # the first and 12 renewals
    assert [monthly.renewal_covers(since, p) for p in payments] == [True] * 12 + [False]
    assert not monthly.renewal_covers(since, since - timedelta(seconds=1))
    assert not terms().renewal_covers(since, since + timedelta(days=1))  # one-off terms


def facts(at_: datetime, **changes) -> ConversionFacts:
    return ConversionFacts(**{**dict(brand_id=BRAND, order_id="r-1", occurred_at=at_,
                                     amount=Money.of("30.00", "EUR"), customer_id="cus_1"),
                              **changes})


def test_a_renewal_is_credited_with_the_terms_in_force_when_it_happened():
    one_off, recurring = terms(1, effective_from=T0), terms(
        2, effective_from=NOW, recurring_months=6)
    referral = target(history=[one_off, recurring])
    first_order = CustomerReferral(enrollment_id=referral.enrollment.enrollment_id,
                                   since=T0 + timedelta(days=1))
    credit = renewal_credit(facts(NOW + timedelta(days=30)), first_order, referral)
    assert (credit.target, credit.terms, credit.click, credit.by) == (
        referral, recurring, None, attribution.BY_CUSTOMER)
    # before version 2, the terms paid no recurring commission
    assert renewal_credit(facts(NOW - timedelta(days=1)), first_order, referral) is None
    assert renewal_credit(facts(NOW), None, referral) is None


# --- through the use case (the fixtures: conftest.py) ---------------------------------
@pytest.fixture
def settings():
    return SETTINGS


def order(bus, clock, order_id, when, **extra):
    clock.now = when
    return bus.handle(commands.RecordConversion(
        brand_id=BRAND, order_id=order_id, amount=Decimal("30.00"), currency="EUR",
        occurred_at=when, **extra))


def subscribed(uow, bus, clock, months=3, **target_args):
    referral = uow.references.add_target(target(
        history=[terms(recurring_months=months)], **target_args))
    first = order(bus, clock, "sub-1", NOW, customer_id="cus_1",
                  referral_code=referral.enrollment.referral_code)
    return referral, first


def test_a_referred_customers_renewals_earn_their_partner_until_the_months_run_out(
        bus, uow, clock):
    referral, first = subscribed(uow, bus, clock, months=3)
    renewals = [order(bus, clock, f"sub-{n + 1}", months_after(NOW, n), customer_id="cus_1")
                for n in range(1, 4)]
    assert first.attribution == attribution.BY_CODE
    assert [r.status for r in renewals] == ["ATTRIBUTED", "ATTRIBUTED", "UNATTRIBUTED"]
    assert [r.attribution for r in renewals] == ["customer", "customer", None]
    events = uow.published("conversion_attributed")
    assert [e.payload["attribution"] for e in events] == ["code", "customer", "customer"]
    assert {e.payload["enrollment_id"] for e in events} == {referral.enrollment.enrollment_id}
    assert events[1].payload["click_id"] is None


def test_one_off_terms_leave_a_known_customers_later_order_unattributed(bus, uow, clock):
    subscribed(uow, bus, clock, months=None)
    later = order(bus, clock, "sub-2", NOW + timedelta(days=30), customer_id="cus_1")
    assert (later.status, later.attribution) == ("UNATTRIBUTED", None)
    assert len(uow.published("conversion_attributed")) == 1


def test_a_click_or_code_on_the_order_beats_the_customers_partner(bus, uow, clock):
    subscribed(uow, bus, clock)
    other = uow.references.add_target(target())
    later = order(bus, clock, "sub-2", NOW + timedelta(days=5), customer_id="cus_1",
                  referral_code=other.enrollment.referral_code)
    assert (later.partner_id, later.attribution) == (other.enrollment.partner_id, "code")


def test_a_customer_is_the_partner_of_their_first_attributed_order(bus, uow, clock):
    referral, _ = subscribed(uow, bus, clock)
    other = uow.references.add_target(target(history=[terms(recurring_months=3)]))
    order(bus, clock, "other-1", NOW + timedelta(days=1), customer_id="cus_1",
          referral_code=other.enrollment.referral_code)
    renewal = order(bus, clock, "sub-2", NOW + timedelta(days=10), customer_id="cus_1")
    assert renewal.partner_id == referral.enrollment.partner_id
    # an order of another customer, or of this one reported for before the first, is not
    assert order(bus, clock, "x-1", NOW + timedelta(days=11), customer_id="cus_2"
                 ).status == "UNATTRIBUTED"
    assert order(bus, clock, "x-2", NOW - timedelta(days=1), customer_id="cus_1"
                 ).status == "UNATTRIBUTED"


def test_a_renewal_through_a_suspended_enrollment_is_rejected(bus, uow, clock):
    referral, _ = subscribed(uow, bus, clock)
    suspended = dataclasses.replace(referral.enrollment, status="SUSPENDED")
    uow.references.replicate_enrollment(suspended, 2, NOW)
    renewal = order(bus, clock, "sub-2", NOW + timedelta(days=20), customer_id="cus_1")
    assert (renewal.status, renewal.reason, renewal.attribution) == (
        "REJECTED", "enrollment_suspended", "customer")
    [rejected] = uow.published("conversion_rejected")
    assert rejected.payload["order_id"] == "sub-2"
