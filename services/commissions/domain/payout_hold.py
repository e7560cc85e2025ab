"""A payout's hold on a partner's payable entries (the commissions side of the payout saga).

``take`` holds every APPROVED commission and every open clawback of one partner and
currency for one payout, if their net reaches the threshold; ``confirm`` marks them paid
(the PSP paid), ``release`` hands them back (the payment failed). Each step is idempotent
by payout id, so the saga can repeat any of them after a crash.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.domain.money import Money
from common.seedwork.domain.rules import BusinessRule, StatusMustBe, check_rule
from common.seedwork.errors import Conflict


class HoldStatus(str, enum.Enum):
    HELD = "HELD"
    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"


@dataclasses.dataclass
class MustBeHeldBy(BusinessRule):
    holder: str | None
    payout_id: str
    message = "This entry is not held by that payout."

    def is_broken(self) -> bool:
        return self.holder != self.payout_id


class PayoutHold(AggregateRoot):
    def __init__(self, *, id: str, partner_id: str, currency: str, status: HoldStatus,
                 amount: Money, commission_ids: Sequence[str], adjustment_ids: Sequence[str],
                 created_at: datetime, updated_at: datetime):
        self.id = id  # the payout id
        self.partner_id = partner_id
        self.currency = currency
        self.status = HoldStatus(status)
        self.amount = amount
        self.commission_ids = tuple(commission_ids)
        self.adjustment_ids = tuple(adjustment_ids)
        self.created_at = created_at
        self.updated_at = updated_at

    @classmethod
    def new(cls, *, payout_id: str, partner_id: str, currency: str, now: datetime):
        """A hold that holds nothing yet (stored only once ``take`` held something)."""
        return cls(id=payout_id, partner_id=partner_id, currency=currency,
                   status=HoldStatus.RELEASED, amount=Money.zero(currency), commission_ids=(),
                   adjustment_ids=(), created_at=now, updated_at=now)

    @property
    def is_held(self) -> bool:
        return self.status is HoldStatus.HELD

    def check_belongs_to(self, partner_id: str, currency: str) -> None:
        if (partner_id, currency) != (self.partner_id, self.currency):
            raise Conflict("This payout id already holds another partner's commissions.",
                           {"payout_id": ["Used for another partner or currency."]})

    def take(self, commissions: Sequence, adjustments: Sequence, min_amount: Money,
             now: datetime) -> bool:
        """Hold the entries if their net reaches ``min_amount`` (and is positive)."""
        if self.status is not HoldStatus.RELEASED:
            return False  # already holding (or paid): the same hold stands
        net = sum((entry.amount for entry in [*commissions, *adjustments]),
                  Money.zero(self.currency))
        if not commissions or not net.is_positive or net < min_amount:
            return False
        for entry in [*commissions, *adjustments]:
            entry.hold(self.id, now)
        self.status = HoldStatus.HELD
        self.amount = net
        self.commission_ids = tuple(c.id for c in commissions)
        self.adjustment_ids = tuple(a.id for a in adjustments)
        self.updated_at = now
        return True

    def confirm(self, commissions: Sequence, adjustments: Sequence, now: datetime) -> bool:
        if self.status is HoldStatus.CONFIRMED:
            return False
        check_rule(StatusMustBe("payout hold", self.status, (HoldStatus.HELD,), "confirm"))
        for entry in [*commissions, *adjustments]:
            entry.settle(self.id, now)
        self.status = HoldStatus.CONFIRMED
        self.updated_at = now
        return True

    def release(self, commissions: Sequence, adjustments: Sequence, now: datetime) -> bool:
        if self.status is HoldStatus.RELEASED:
            return False
        check_rule(StatusMustBe("payout hold", self.status, (HoldStatus.HELD,), "release"))
        for entry in [*commissions, *adjustments]:
            entry.release(self.id, now)
        self.status = HoldStatus.RELEASED
        self.updated_at = now
        return True
