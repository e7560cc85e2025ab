"""Clawbacks: negative ledger entries for refunds of commissions already paid (or being
paid). A clawback stays OPEN until a payout nets it off (IN_PAYOUT), then SETTLED once
that payout is paid; a failed payout hands it back (OPEN)."""
from __future__ import annotations

import enum
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.domain.money import Money
from common.seedwork.domain.rules import check_rule
from services.commissions.domain.ledger import Bucket, Position
from services.commissions.domain.payout_hold import MustBeHeldBy


class AdjustmentStatus(str, enum.Enum):
    OPEN = "OPEN"
    IN_PAYOUT = "IN_PAYOUT"
    SETTLED = "SETTLED"


_BUCKET_OF = {AdjustmentStatus.OPEN: Bucket.ADJUSTMENTS,
              AdjustmentStatus.IN_PAYOUT: Bucket.IN_PAYOUT,
              AdjustmentStatus.SETTLED: Bucket.PAID}


class Adjustment(AggregateRoot):
    def __init__(self, *, id: str, partner_id: str, commission_id: str, refund_id: str,
                 amount: Money, status: AdjustmentStatus, created_at: datetime,
                 updated_at: datetime, payout_id: str | None = None):
        self.id = id
        self.partner_id = partner_id
        self.commission_id = commission_id
        self.refund_id = refund_id
        self.amount = amount  # negative
        self.status = AdjustmentStatus(status)
        self.created_at = created_at
        self.updated_at = updated_at
        self.payout_id = payout_id

    @classmethod
    def clawback(cls, *, id: str, partner_id: str, commission_id: str, refund_id: str,
                 reduction: Money, now: datetime) -> "Adjustment":
        return cls(id=id, partner_id=partner_id, commission_id=commission_id,
                   refund_id=refund_id, amount=-abs(reduction), status=AdjustmentStatus.OPEN,
                   created_at=now, updated_at=now)

    @property
    def currency(self) -> str:
        return self.amount.currency

    def position(self) -> Position:
        return Position(_BUCKET_OF[self.status], self.amount)

    def hold(self, payout_id: str, now: datetime) -> None:
        self._move(AdjustmentStatus.OPEN, AdjustmentStatus.IN_PAYOUT, payout_id, now)

    def settle(self, payout_id: str, now: datetime) -> None:
        if self.status is AdjustmentStatus.SETTLED and self.payout_id == payout_id:
            return
        self._move(AdjustmentStatus.IN_PAYOUT, AdjustmentStatus.SETTLED, payout_id, now)

    def release(self, payout_id: str, now: datetime) -> None:
        self._move(AdjustmentStatus.IN_PAYOUT, AdjustmentStatus.OPEN, payout_id, now)
        self.payout_id = None

    def _move(self, source: AdjustmentStatus, target: AdjustmentStatus, payout_id: str,
              now: datetime) -> None:
        if source is not AdjustmentStatus.OPEN:
            check_rule(MustBeHeldBy(self.payout_id, payout_id))
        if self.status is not source:
            raise ValueError(f"clawback {self.id} is {self.status.value}, not {source.value}")
        self.status = target
        self.payout_id = payout_id
        self.updated_at = now
