"""Pricing: one rounding, at the end, ROUND_HALF_UP to the currency's minor unit."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError
from services.commissions.domain.terms import Model, Terms


def usd(amount):
    return Money.of(amount, "USD")


def cps(rate, **extra):
    return Terms(version=1, model=Model.CPS, hold_days=0, rate=Decimal(rate), **extra)


def test_cps_is_rate_times_order_amount():
    assert cps("0.10").conversion_commission(usd("200.00")) == usd("20.00")


@pytest.mark.parametrize("rate, order, expected", [
    ("0.10", "0.05", "0.01"),      # 0.005 rounds half up
    ("0.125", "0.99", "0.12"),     # 0.12375
    ("0.075", "33.30", "2.50"),    # 2.4975: rounded once, at the end
    ("0.333", "10.00", "3.33"),
])
def test_cps_rounds_once_half_up(rate, order, expected):
    assert cps(rate).conversion_commission(usd(order)) == usd(expected)


def test_cps_rounds_to_the_currency_minor_unit():
    terms = cps("0.07")
    assert terms.conversion_commission(Money.of("1234", "JPY")) == Money.of("86", "JPY")
    assert terms.conversion_commission(Money.of("10.005", "KWD")) == Money.of("0.700", "KWD")


def test_cps_is_clamped_to_min_and_max():
    terms = cps("0.10", min=usd("5.00"), max=usd("30.00"))
    assert terms.conversion_commission(usd("20.00")) == usd("5.00")
    assert terms.conversion_commission(usd("1000.00")) == usd("30.00")
    assert terms.conversion_commission(usd("100.00")) == usd("10.00")


def test_cpa_pays_its_fixed_amount_whatever_the_order():
    terms = Terms(version=2, model=Model.CPA, hold_days=30, amount=usd("12.50"))
    assert terms.conversion_commission(usd("999.99")) == usd("12.50")


def test_cpc_pays_billable_clicks_under_the_daily_cap():
    terms = Terms(version=1, model=Model.CPC, hold_days=0, amount=usd("0.15"),
                  daily_click_cap=10)
    assert terms.billable_clicks(6, already_paid=0) == 6
    assert terms.billable_clicks(7, already_paid=6) == 4
    assert terms.billable_clicks(3, already_paid=10) == 0
    assert terms.clicks_commission(4) == usd("0.60")
    uncapped = Terms(version=1, model=Model.CPC, hold_days=0, amount=usd("0.015"))
    assert uncapped.billable_clicks(1000, already_paid=5000) == 1000
    assert uncapped.clicks_commission(3) == usd("0.05")  # 0.045 -> 0.05


def test_hold_until_is_conversion_time_plus_hold_days():
    at = datetime(2026, 11, 29, 12, tzinfo=UTC)
    terms = Terms(version=1, model=Model.CPA, hold_days=14, amount=usd("1.00"))
    assert terms.hold_until(at) == datetime(2026, 12, 13, 12, tzinfo=UTC)


@pytest.mark.parametrize("terms, field", [
    (Terms(version=1, model=Model.CPS, hold_days=0), "rate"),
    (Terms(version=1, model=Model.CPA, hold_days=0), "amount"),
    (Terms(version=1, model=Model.CPC, hold_days=0, amount=usd("1.00")), "model"),
    (cps("0.1", min=Money.of("1.00", "EUR")), "min"),
])
def test_terms_that_cannot_price_a_conversion_are_refused_by_field(terms, field):
    with pytest.raises(ValidationError) as error:
        terms.conversion_commission(usd("100.00"))
    assert field in error.value.fields["terms"]
