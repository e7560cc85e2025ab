"""The stats' revenue as two integers: exact both ways, summed exactly as integers."""
from decimal import Decimal

import pytest

from services.tracking.infrastructure.revenue import PARTS_PER_UNIT, joined, split

AMOUNTS = ("0", "12.34", "-12.345", "100", "0.0001", "-0.01", "999999999999999.9999",
           "-999999999999999.9999", "0.0000000001")


@pytest.mark.parametrize("amount", AMOUNTS)
def test_an_amount_splits_and_joins_back_exactly(amount):
    units, parts = split(Decimal(amount))
    assert 0 <= parts < PARTS_PER_UNIT
    assert joined(units, parts) == Decimal(amount)


def test_sums_of_the_integers_are_the_sum_of_the_amounts():
    amounts = [Decimal(a) for a in AMOUNTS] * 3
    units = sum(split(amount)[0] for amount in amounts)
    parts = sum(split(amount)[1] for amount in amounts)  # as SQL adds them: unnormalised
    assert joined(units, parts) == sum(amounts)


def test_the_joined_revenue_carries_no_padding_or_exponent():
    assert str(joined(*split(Decimal("100.00")))) == "100"
    assert str(joined(*split(Decimal("12.50")))) == "12.5"
    assert str(joined(0, 0)) == "0"


def test_more_decimals_than_the_storage_scale_are_refused_never_rounded():
    with pytest.raises(ValueError, match="more than 10 decimals"):
        split(Decimal("0.00000000001"))
