"""Money: an exact Decimal amount in an ISO 4217 currency.

Rounding rule (the only one in the platform): an amount is rounded to its currency's
minor unit (2 decimals for USD/EUR, 0 for JPY, 3 for KWD...) with ROUND_HALF_UP
(commercial rounding: 0.005 USD -> 0.01 USD, -0.005 -> -0.01). Computations keep full
precision and round once, at the end, with ``Money.rounded()``. Floats are refused
everywhere: ``Money.of(0.1, "USD")`` raises TypeError.
"""
from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from common.seedwork.domain.iso import CURRENCY_MINOR_UNITS
from common.seedwork.errors import ValidationError

ROUNDING = ROUND_HALF_UP
# Amounts are below 10^15 in magnitude (a quadrillion): room for sums within the storage
# type (NUMERIC(28, 10)) and Decimal's default 28-digit context (a quantize of 1E+308
# raises). Anything larger is an input error, never a 500.
MAX_AMOUNT = Decimal(10) ** 15
AMOUNT_TOO_LARGE = "Must be less than 1,000,000,000,000,000 in magnitude."


class CurrencyMismatch(ValueError):
    """Arithmetic or comparison between two currencies."""


@dataclasses.dataclass(frozen=True)
class Currency:
    code: str

    def __post_init__(self):
        if not isinstance(self.code, str) or self.code not in CURRENCY_MINOR_UNITS:
            raise ValidationError(
                "Unknown currency.", {"currency": [f"{self.code!r} is not an ISO 4217 code."]}
            )

    @property
    def minor_unit(self) -> int:
        return CURRENCY_MINOR_UNITS[self.code]

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_unit)

    @staticmethod
    def is_valid(code: Any) -> bool:
        return isinstance(code, str) and code in CURRENCY_MINOR_UNITS

    def __str__(self) -> str:
        return self.code


def to_decimal(value: Any, field: str = "amount") -> Decimal:
    """Decimal from a Decimal, int or numeric string. Floats and junk are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{field}: use Decimal or a string, never float ({value!r})")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValidationError(
                "Not a number.", {field: ["Not a valid decimal number."]}) from None
    else:
        raise TypeError(f"{field}: cannot make a Decimal of {type(value).__name__}")
    if not result.is_finite():
        raise ValidationError("Not a number.", {field: ["Must be a finite number."]})
    return result


@dataclasses.dataclass(frozen=True, order=False)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        amount = to_decimal(self.amount)
        if abs(amount) >= MAX_AMOUNT:
            raise ValidationError("Amount too large.", {"amount": [AMOUNT_TOO_LARGE]})
        object.__setattr__(self, "amount", amount)
        Currency(self.currency)

    # construction ------------------------------------------------------------------
    @classmethod
    def of(cls, amount: Any, currency: str) -> "Money":
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0), currency)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Money":
        return cls.of(data["amount"], data["currency"])

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> "Money":
        return cls(Decimal(units).scaleb(-Currency(currency).minor_unit), currency)

    # properties --------------------------------------------------------------------
    @property
    def minor_unit(self) -> int:
        return CURRENCY_MINOR_UNITS[self.currency]

    @property
    def is_rounded(self) -> bool:
        """True when the amount has no more decimals than the currency allows."""
        return self.amount == self.amount.quantize(Currency(self.currency).quantum)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    # arithmetic --------------------------------------------------------------------
    def rounded(self) -> "Money":
        """Round to the currency's minor unit, ROUND_HALF_UP (the platform's one rule)."""
        quantum = Currency(self.currency).quantum
        return Money(self.amount.quantize(quantum, rounding=ROUNDING), self.currency)

    def _same_currency(self, other: Any) -> "Money":
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")
        return other

    def __add__(self, other: "Money") -> "Money":
        other = self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        other = self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __abs__(self) -> "Money":
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Any) -> "Money":
        if isinstance(factor, Money):
            raise TypeError("Money times Money has no meaning")
        return Money(self.amount * to_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: "Money") -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: "Money") -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: "Money") -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: "Money") -> bool:
        return self.amount >= self._same_currency(other).amount

    def min(self, other: "Money") -> "Money":
        return self if self <= other else other

    def max(self, other: "Money") -> "Money":
        return self if self >= other else other

    # representation ----------------------------------------------------------------
    def format_amount(self) -> str:
        """The amount as a plain decimal string, padded to the minor unit ('20' -> '20.00')."""
        quantum = Currency(self.currency).quantum
        amount = self.amount
        if amount == amount.quantize(quantum):
            amount = amount.quantize(quantum)
        return format(amount, "f")

    def to_dict(self) -> dict[str, str]:
        return {"amount": self.format_amount(), "currency": self.currency}

    def __str__(self) -> str:
        return f"{self.format_amount()} {self.currency}"
