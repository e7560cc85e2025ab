"""The service's knobs (config.yaml ``PAYOUTS``), read once at start.

The payout threshold is a ``Decimal`` per currency (``min_amount_by_currency``, else
``min_amount``): a partner is paid once its payable balance reaches it."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

SECTION = "PAYOUTS"


@dataclasses.dataclass(frozen=True)
class PayoutsSettings:
    min_amount: Decimal = Decimal("50.00")
    min_amount_by_currency: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)
    saga_batch_size: int = 50
    saga_lease: timedelta = timedelta(seconds=30)
    saga_retry_delay: timedelta = timedelta(seconds=5)
    psp: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # the adapter's knobs

    def threshold(self, currency: str) -> Decimal:
        return self.min_amount_by_currency.get(currency, self.min_amount)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "PayoutsSettings":
        values = section or {}
        return cls(
            min_amount=Decimal(str(values.get("min_amount", cls.min_amount))),
            min_amount_by_currency={currency: Decimal(str(amount)) for currency, amount in
                                    (values.get("min_amount_by_currency") or {}).items()},
            saga_batch_size=int(values.get("saga_batch_size", cls.saga_batch_size)),
            saga_lease=timedelta(seconds=float(values.get("saga_lease_seconds", 30))),
            saga_retry_delay=timedelta(seconds=float(values.get("saga_retry_delay_seconds", 5))),
            psp=dict(values.get("psp") or {}))
