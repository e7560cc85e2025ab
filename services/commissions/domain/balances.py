"""Partner balances and campaign budgets leave commissions as snapshots: a batch of the
rows that changed.

Every posting to a partner ledger and every change of a campaign budget (including a
commission of the campaign entering or leaving PENDING) marks the row changed, in the
transaction that makes the change. A timer gathers the changed rows into a
:class:`BalancesSnapshot` -- one ``balances_changed`` event per batch, never one per
commission -- and unmarks them in the transaction that writes the event to the outbox.
Each row carries its ``revision`` (the row's version): readers keep the highest.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Money
from services.commissions.domain.ledger import Bucket


@dataclasses.dataclass(frozen=True)
class LedgerBalance(ValueObject):
    partner_id: str
    currency: str
    balances: dict[Bucket, Money]
    revision: int
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class BudgetBalance(ValueObject):
    campaign_id: str
    brand_id: str
    total: Money
    reserved: Money
    exhausted: bool
    pending_count: int      # its commissions awaiting approval
    pending_amount: Money   # what they owe
    revision: int
    updated_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class BalancesChanged(DomainEvent):
    snapshot: "BalancesSnapshot"


class BalancesSnapshot(AggregateRoot):
    def __init__(self, *, id: str, ledgers: list[LedgerBalance], budgets: list[BudgetBalance]):
        self.id = id
        self.ledgers = ledgers
        self.budgets = budgets

    @classmethod
    def of(cls, ledgers: list[LedgerBalance], budgets: list[BudgetBalance],
           now: datetime) -> "BalancesSnapshot":
        snapshot = cls(id=new_id(), ledgers=list(ledgers), budgets=list(budgets))
        snapshot.record(BalancesChanged(snapshot=snapshot, occurred_at=now))
        return snapshot
