from datetime import timedelta
from decimal import Decimal

import pytest

from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError
from services.campaigns.domain.terms import Model, Terms, TermsSpec, version_in_force
from tests.unit.campaigns.builders import cpa, cps, usd
from tests.unit.campaigns.fakes import NOW


def define(spec: TermsSpec, currency="USD") -> Terms:
    return Terms.define(spec, currency=currency, version=1, effective_from=NOW)


def problems(spec: TermsSpec, currency="USD") -> dict:
    with pytest.raises(ValidationError) as error:
        define(spec, currency)
    return error.value.fields["terms"]


def test_each_model_defines_a_version():
    assert define(cps(rate=Decimal("0.10"), min=usd(1), max=usd(50))).rate == Decimal("0.1")
    assert define(cpa()).amount == usd("10.00")
    clicks = define(TermsSpec(model="CPC", amount=usd("0.25"), daily_click_cap=100,
                              attribution_window_days=1, hold_days=0))
    assert (clicks.model, clicks.daily_click_cap, clicks.version) == (Model.CPC, 100, 1)


@pytest.mark.parametrize("spec", [cps(recurring_months=12), cpa(recurring_months=1),
                                  cps(recurring_months=120)])
def test_sales_and_actions_may_pay_recurring_commissions(spec):
    assert define(spec).recurring_months == spec.recurring_months
    assert define(cps()).recurring_months is None  # one-off unless asked


@pytest.mark.parametrize("spec, field, message", [
    (cps(rate=Decimal("1.5")), "rate", "at most 1"),
    (cps(rate=Decimal("0")), "rate", "greater than 0"),
    (cps(rate=None), "rate", "Required"),
    (cps(min=usd("-1")), "min", "negative"),
    (cps(min=usd("20"), max=usd("10")), "min", "greater than max"),
    (cps(max=usd("0")), "max", "greater than 0"),
    (cps(amount=usd("1")), "amount", "Only for CPA and CPC"),
    (cps(daily_click_cap=5), "daily_click_cap", "Only for CPC"),
    (cpa(amount="-5.00"), "amount", "greater than 0"),
    (cpa(amount="0"), "amount", "greater than 0"),
    (cpa(amount=None), "amount", "Required"),
    (cpa(rate=Decimal("0.1")), "rate", "Only for CPS"),
    (cpa(daily_click_cap=10), "daily_click_cap", "Only for CPC"),
    (TermsSpec(model="CPC", amount=usd(1), daily_click_cap=0, attribution_window_days=1,
               hold_days=0), "daily_click_cap", "at least 1"),
    (cps(attribution_window_days=0), "attribution_window_days", "between 1 and 90"),
    (cps(attribution_window_days=91), "attribution_window_days", "between 1 and 90"),
    (cps(hold_days=-1), "hold_days", "between 0 and 90"),
    (cps(hold_days=91), "hold_days", "between 0 and 90"),
    (TermsSpec(model="CPM", attribution_window_days=30, hold_days=0), "model", "CPS, CPA, CPC"),
    (cpa(amount=Money.of("5", "EUR")), "amount", "USD"),
    (cps(recurring_months=0), "recurring_months", "between 1 and 120"),
    (cpa(recurring_months=121), "recurring_months", "between 1 and 120"),
    (TermsSpec(model="CPC", amount=usd(1), recurring_months=6, attribution_window_days=1,
               hold_days=0), "recurring_months", "Only for CPS and CPA"),
])
def test_each_bad_field_is_named(spec, field, message):
    found = problems(spec)
    assert field in found and message in " ".join(found[field]), found


def test_every_problem_is_reported_at_once():
    found = problems(cps(rate=Decimal("2"), min=usd(9), max=usd(1), attribution_window_days=0,
                         hold_days=100))
    assert set(found) == {"rate", "min", "attribution_window_days", "hold_days"}


def test_money_in_another_currency_than_the_campaign_is_refused():
    found = problems(cps(min=Money.of("1", "EUR"), max=Money.of("9", "EUR")))
    assert set(found) == {"min", "max"}


def test_smallest_commission_per_model():
    assert define(cpa("7.50")).smallest_commission("USD") == usd("7.50")
    assert define(cps(min=usd(2))).smallest_commission("USD") == usd(2)
    assert define(cps()).smallest_commission("USD") == usd("0.01")
    assert define(cps(min=usd(0))).smallest_commission("USD") == usd("0.01")
    assert define(cps()).smallest_commission("JPY") == Money.of(1, "JPY")


def test_the_version_in_force_is_the_last_one_started():
    versions = [(1, NOW), (2, NOW + timedelta(days=1)), (3, NOW + timedelta(days=2))]
    at = lambda moment: version_in_force(versions, moment, lambda v: v[1])[0]  # noqa: E731
    assert at(NOW - timedelta(seconds=1)) == 1  # before the first: still the first
    assert at(NOW) == 1
    assert at(NOW + timedelta(days=1)) == 2
    assert at(NOW + timedelta(days=30)) == 3
