"""The partner ledger: what a partner is owed and was paid, per currency.

Every ledger entry (a commission or a clawback adjustment) sits in one bucket at a
time, given by its status. When an entry changes, the ledger moves its amount from the
old bucket to the new one, in the same transaction. Invariant: each bucket equals the
sum of the entries currently in it (``Ledger.of`` recomputes it from the entries).

* ``pending``     commissions still in their hold period;
* ``approved``    payable commissions (gross);
* ``in_payout``   commissions and clawbacks held by a payout in flight (net);
* ``paid``        what payouts actually transferred (commissions paid, net of the
                  clawbacks those payouts settled);
* ``adjustments`` clawbacks (negative) of paid commissions not yet netted by a payout.

``payable`` = ``approved + adjustments``: what the next payout would transfer.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.domain.money import Money


class Bucket(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    IN_PAYOUT = "in_payout"
    PAID = "paid"
    ADJUSTMENTS = "adjustments"


@dataclasses.dataclass(frozen=True)
class Position:
    """Where an entry's amount sits in its partner's ledger (nowhere when nothing is owed)."""

    bucket: Bucket | None
    amount: Money

    @classmethod
    def nowhere(cls, currency: str) -> "Position":
        return cls(None, Money.zero(currency))


class LedgerEntry(Protocol):
    partner_id: str
    currency: str

    def position(self) -> Position: ...


def ledger_id(partner_id: str, currency: str) -> str:
    return f"{partner_id}:{currency}"


class PartnerLedger(AggregateRoot):
    def __init__(self, *, partner_id: str, currency: str, updated_at: datetime,
                 balances: Mapping[Bucket, Decimal] | None = None):
        self.id = ledger_id(partner_id, currency)
        self.partner_id = partner_id
        self.currency = currency
        self.updated_at = updated_at
        self.balances = {bucket: Decimal(0) for bucket in Bucket}
        self.balances.update(balances or {})

    @classmethod
    def of(cls, partner_id: str, currency: str, entries: Iterable[LedgerEntry],
           now: datetime) -> "PartnerLedger":
        """The ledger recomputed from its entries (the invariant's other side)."""
        ledger = cls(partner_id=partner_id, currency=currency, updated_at=now)
        for entry in entries:
            ledger.move(Position.nowhere(currency), entry.position(), now)
        return ledger

    def move(self, before: Position, after: Position, now: datetime) -> None:
        for position, sign in ((before, -1), (after, 1)):
            if position.bucket is not None:
                self.balances[position.bucket] += sign * self._own(position.amount).amount
        self.updated_at = now

    def balance(self, bucket: Bucket) -> Money:
        return Money(self.balances[bucket], self.currency)

    @property
    def payable(self) -> Money:
        return self.balance(Bucket.APPROVED) + self.balance(Bucket.ADJUSTMENTS)

    def same_balances(self, other: "PartnerLedger") -> bool:
        return all(self.balances[b] == other.balances[b] for b in Bucket)

    def _own(self, amount: Money) -> Money:
        if amount.currency != self.currency:
            raise ValueError(f"{amount} does not belong to the {self.currency} ledger")
        return amount
