from decimal import Decimal

import pytest

from common.seedwork.domain.money import Currency, CurrencyMismatch, Money
from common.seedwork.errors import ValidationError


def test_amounts_are_exact_decimals():
    assert Money.of("0.1", "USD") + Money.of("0.2", "USD") == Money.of("0.3", "USD")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money.of(0.1, "USD")
    with pytest.raises(TypeError):
        Money.of("1", "USD") * 0.5


def test_unknown_currency_is_a_validation_error_naming_the_field():
    with pytest.raises(ValidationError) as error:
        Money.of("1", "XXX")
    assert "currency" in error.value.fields


def test_amounts_stay_below_a_quadrillion():
    biggest = Money.of("999999999999999.4", "BIF")
    assert biggest.rounded() == Money.of("999999999999999", "BIF")
    assert str(biggest.rounded()) == "999999999999999 BIF"
    for amount in ("1E+15", "1.410018210361533E+308", "-1E+20"):
        with pytest.raises(ValidationError) as error:
            Money.of(amount, "BIF")
        assert "amount" in error.value.fields


def test_mixed_currencies_are_refused_for_arithmetic_and_comparison():
    usd, eur = Money.of("1", "USD"), Money.of("1", "EUR")
    with pytest.raises(CurrencyMismatch):
        usd + eur
    with pytest.raises(CurrencyMismatch):
        usd - eur
    with pytest.raises(CurrencyMismatch):
        assert usd < eur


@pytest.mark.parametrize("amount, currency, expected", [
    ("0.005", "USD", "0.01"),      # half up
    ("0.004", "USD", "0.00"),
    ("-0.005", "USD", "-0.01"),    # half away from zero for negatives
    ("2.675", "EUR", "2.68"),
    ("99.5", "JPY", "100"),        # JPY has no minor unit
    ("1.0005", "KWD", "1.001"),    # KWD has three
])
def test_rounding_to_the_minor_unit_is_half_up(amount, currency, expected):
    assert Money.of(amount, currency).rounded().amount == Decimal(expected)


def test_percentages_keep_full_precision_until_rounded():
    commission = Money.of("199.99", "USD") * Decimal("0.075")
    assert commission.amount == Decimal("14.99925")
    assert commission.rounded() == Money.of("15.00", "USD")
    assert not commission.is_rounded and commission.rounded().is_rounded


def test_wire_format_pads_to_minor_unit_and_round_trips():
    assert Money.of("20", "USD").to_dict() == {"amount": "20.00", "currency": "USD"}
    assert Money.of("5", "JPY").to_dict() == {"amount": "5", "currency": "JPY"}
    assert Money.of("0.125", "USD").to_dict() == {"amount": "0.125", "currency": "USD"}
    assert Money.from_dict({"amount": "12.50", "currency": "EUR"}) == Money.of("12.5", "EUR")


def test_money_times_money_is_meaningless():
    with pytest.raises(TypeError):
        Money.of("1", "USD") * Money.of("2", "USD")


def test_helpers():
    a, b = Money.of("3", "USD"), Money.of("5", "USD")
    assert a.min(b) == a and a.max(b) == b
    assert (-a).is_negative and Money.zero("USD").is_zero and b.is_positive
    assert abs(-a) == a
    assert Money.from_minor_units(1234, "USD") == Money.of("12.34", "USD")
    assert str(Money.of("7", "EUR")) == "7.00 EUR"
    assert Currency("KWD").minor_unit == 3
    assert Currency.is_valid("USD") and not Currency.is_valid("usd")


def test_non_numbers_are_validation_errors():
    with pytest.raises(ValidationError):
        Money.of("ten", "USD")
    with pytest.raises(ValidationError):
        Money.of("NaN", "USD")
