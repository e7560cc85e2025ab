"""Budget the campaign gets back. A release is written in the same transaction as the
change that frees the money (decline, refund, cap) and sent to campaigns after the
commit -- again and again until campaigns acknowledges it (each release id applies
once there), so a campaigns outage never leaks budget and never frees it twice."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.entity import ValueObject
from common.seedwork.domain.money import Money
from services.commissions.domain import ids


@dataclasses.dataclass(frozen=True)
class BudgetRelease(ValueObject):
    release_id: str
    reservation_id: str  # = the commission id
    amount: Money
    cause: str
    created_at: datetime

    @classmethod
    def of(cls, commission_id: str, amount: Money, cause: str, now: datetime):
        return cls(release_id=ids.release_id(commission_id, cause), reservation_id=commission_id,
                   amount=amount, cause=cause, created_at=now)


@dataclasses.dataclass(frozen=True)
class Reservation(ValueObject):
    """campaigns' answer to a reservation request."""

    accepted: bool
    reason: str | None = None  # why not, e.g. "budget_exhausted"
