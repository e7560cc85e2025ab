"""The daily stats' revenue as two integers, so that the database adds it exactly.

A row's revenue is ``revenue_units + revenue_parts / 10**10``: whole units of the
campaign's currency and parts of 10⁻¹⁰ of a unit (the scale every amount is stored with:
NUMERIC(28, 10)). A conversion adds its amount's two integers with the counters, in the
same ``INSERT ... ON CONFLICT DO UPDATE``; integers are added exactly by SQLite and
PostgreSQL alike, where a decimal stored as text would be summed by SQLite as a float.

No rounding happens here: an amount with more than 10 decimals is refused (every amount
the platform accepts is rounded to its currency's minor unit, 4 decimals at most). The
split is Python's floor ``divmod``, so ``revenue_parts`` of one amount is in
[0, 10**10) and a refund's whole units are one lower (-12.345 is -13 units and
6,550,000,000 parts); only the sum of both is meaningful. Bounds: whole units fit a
signed 64-bit integer (a row's revenue below 9.2 × 10¹⁸, the same order as
NUMERIC(28, 10)'s 10¹⁸), and the parts of 900 million amounts fit one row.
"""
from __future__ import annotations

from decimal import Decimal, localcontext

SCALE = 10
PARTS_PER_UNIT = 10 ** SCALE


def split(amount: Decimal) -> tuple[int, int]:
    """``(units, parts)`` with ``units + parts / 10**10 == amount`` exactly."""
    scaled = amount.scaleb(SCALE)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {SCALE} decimals")
    return divmod(int(scaled), PARTS_PER_UNIT)


def joined(units: int, parts: int) -> Decimal:
    """The revenue the two integers stand for, without trailing zeros."""
    with localcontext() as context:
        context.prec = 50  # 19 digits of units + 10 decimals, and room: never rounded
        text = format(Decimal(units * PARTS_PER_UNIT + parts).scaleb(-SCALE), "f")
    return Decimal(text.rstrip("0").rstrip(".") or "0")  # "12.3400000000" -> 12.34
