"""Contract terms as the commission engine reads them, and the one way to price them.

Rounding rule: a computation keeps full ``Decimal`` precision and rounds once, at the
end, to the currency's minor unit with ROUND_HALF_UP (``Money.rounded()``):

* CPS: ``rate x order amount``, clamped to ``[min, max]`` when given, then rounded;
* CPA: the fixed ``amount`` (rounded, a no-op for a well-formed amount);
* CPC: ``amount x billable clicks``, then rounded, where billable clicks are the valid
  clicks still under the ``daily_click_cap`` of that partner, campaign and UTC day.
"""
from __future__ import annotations

import dataclasses
import enum
from datetime import datetime, timedelta
from decimal import Decimal

from common.seedwork.domain.entity import ValueObject
from common.seedwork.domain.money import CurrencyMismatch, Money
from common.seedwork.errors import ValidationError


class Model(str, enum.Enum):
    CPS = "CPS"  # a share of the order amount
    CPA = "CPA"  # a fixed amount per attributed conversion
    CPC = "CPC"  # a fixed amount per valid click


def _malformed(field: str, message: str) -> ValidationError:
    return ValidationError("The terms cannot price this commission.", {"terms": {field: [message]}})


@dataclasses.dataclass(frozen=True)
class Terms(ValueObject):
    version: int
    model: Model
    hold_days: int
    rate: Decimal | None = None
    min: Money | None = None
    max: Money | None = None
    amount: Money | None = None
    daily_click_cap: int | None = None

    @property
    def pays_conversions(self) -> bool:
        return self.model in (Model.CPS, Model.CPA)

    @property
    def pays_clicks(self) -> bool:
        return self.model is Model.CPC

    def hold_until(self, occurred_at: datetime) -> datetime:
        """A commission waits ``hold_days`` after its conversion before it is payable."""
        return occurred_at + timedelta(days=self.hold_days)

    def smallest_commission(self, currency: str) -> Money:
        """The least one commission under these terms can be (never zero): what a budget
        must still cover to pay anything."""
        if self.model is Model.CPS:
            if self.min is not None and self.min.is_positive:
                return self.min
            return Money.from_minor_units(1, currency)
        return self._fixed_amount().rounded()

    # pricing ---------------------------------------------------------------------------
    def conversion_commission(self, order_amount: Money) -> Money:
        if self.model is Model.CPS:
            return self._share_of(order_amount)
        if self.model is Model.CPA:
            return self._fixed_amount().rounded()
        raise _malformed("model", "CPC terms pay clicks, not conversions.")

    def clicks_commission(self, billable_clicks: int) -> Money:
        if self.model is not Model.CPC:
            raise _malformed("model", f"{self.model.value} terms do not pay clicks.")
        return (self._fixed_amount() * billable_clicks).rounded()

    def billable_clicks(self, valid_clicks: int, already_paid: int) -> int:
        """How many of ``valid_clicks`` are still paid today under the daily cap."""
        if self.daily_click_cap is None:
            return max(valid_clicks, 0)
        return max(min(valid_clicks, self.daily_click_cap - already_paid), 0)

    def _share_of(self, order_amount: Money) -> Money:
        if self.rate is None:
            raise _malformed("rate", "CPS terms need a rate.")
        raw = order_amount * self.rate
        try:
            if self.min is not None:
                raw = raw.max(self.min)
            if self.max is not None:
                raw = raw.min(self.max)
        except CurrencyMismatch:
            raise _malformed("min", "min/max and the order are in different currencies.") from None
        return raw.rounded()

    def _fixed_amount(self) -> Money:
        if self.amount is None:
            raise _malformed("amount", f"{self.model.value} terms need an amount.")
        return self.amount
