"""A campaign's budget, kept where commissions are decided.

The brand sets the budget on its campaign; campaigns' events carry it (with the terms in
force) by ``revision``, and this aggregate follows the newest. Commissions promise it:
a commission opens only if what is left covers it, checked and taken in the transaction
that records the commission, under this row's lock -- so concurrent commissions never
overspend, and the event chain never waits on another service. Money comes back in the
transaction that frees it: a decline, a refund's reduction, a click cap, a clawback
recovered in a payout.

When what is left can no longer pay the smallest commission the terms allow, the budget
is *exhausted* (``CampaignBudgetExhausted``, once; campaigns pauses the campaign); when
room comes back -- a release, a bigger budget -- it is *available* again
(``CampaignBudgetAvailable``, once). A new budget that still leaves no room is said
again: campaigns clears its own flag when the brand raises a budget, and must hear that
it was not enough.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError

BUDGET_EXHAUSTED = "budget_exhausted"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignBudgetExhausted(DomainEvent):
    campaign_id: str
    brand_id: str
    budget: Money
    reserved: Money
    remaining: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignBudgetAvailable(DomainEvent):
    campaign_id: str
    brand_id: str
    budget: Money
    reserved: Money
    remaining: Money


class CampaignBudget(AggregateRoot):
    def __init__(self, *, id: str, brand_id: str, total: Money, reserved: Money,
                 smallest: Money, revision: int, exhausted: bool, updated_at: datetime):
        self.id = id
        self.brand_id = brand_id
        self.total = total
        self.reserved = reserved
        self.smallest = smallest      # the least one commission can be under the terms
        self.revision = revision      # of the campaign snapshot it follows
        self.exhausted = exhausted
        self.updated_at = updated_at

    @classmethod
    def of_campaign(cls, *, campaign_id: str, brand_id: str, total: Money, smallest: Money,
                    revision: int, now: datetime) -> "CampaignBudget":
        budget = cls(id=campaign_id, brand_id=brand_id, total=total,
                     reserved=Money.zero(total.currency), smallest=smallest,
                     revision=revision, exhausted=False, updated_at=now)
        budget._note_exhaustion(now)
        return budget

    @property
    def currency(self) -> str:
        return self.total.currency

    @property
    def remaining(self) -> Money:
        return self.total - self.reserved

    def follow(self, *, total: Money, smallest: Money, revision: int, now: datetime) -> bool:
        """Take a newer campaign snapshot's budget and terms (older ones change nothing)."""
        if revision <= self.revision:
            return False
        if total.currency != self.currency:
            raise ValidationError("A campaign's budget cannot change currency.",
                                  {"budget": [f"Must be in {self.currency}."]})
        resized = total != self.total or smallest != self.smallest
        self.total, self.smallest, self.revision = total, smallest, revision
        self.updated_at = now
        if resized and self.exhausted and self.remaining < self.smallest:
            self.record(CampaignBudgetExhausted(**self._figures(), occurred_at=now))
            return True  # still used up at its new size: say so again (campaigns listens)
        self._note_exhaustion(now)
        return True

    def reserve(self, amount: Money, now: datetime) -> bool:
        """Promise ``amount`` to one commission if what is left covers it (a refusal alone
        exhausts nothing: a smaller commission may still fit)."""
        if amount > self.remaining:
            return False
        self.reserved = self.reserved + amount
        self.updated_at = now
        self._note_exhaustion(now)
        return True

    def release(self, amount: Money, now: datetime) -> None:
        """Give back money a commission no longer owes (never more than is reserved)."""
        if not amount.is_positive:
            return
        self.reserved = max(self.reserved - amount, Money.zero(self.currency))
        self.updated_at = now
        self._note_exhaustion(now)

    def note_pending_changed(self, now: datetime) -> None:
        """Commissions of the campaign left PENDING (approved): what it owes is the same,
        but the figures read models show of it (its PENDING commissions) changed."""
        self.updated_at = now

    def _note_exhaustion(self, now: datetime) -> None:
        if self.remaining < self.smallest:
            self._exhaust(now)
        elif self.exhausted:
            self.exhausted = False
            self.record(CampaignBudgetAvailable(**self._figures(), occurred_at=now))

    def _exhaust(self, now: datetime) -> None:
        if not self.exhausted:
            self.exhausted = True
            self.record(CampaignBudgetExhausted(**self._figures(), occurred_at=now))

    def _figures(self) -> dict:
        return {"campaign_id": self.id, "brand_id": self.brand_id, "budget": self.total,
                "reserved": self.reserved, "remaining": self.remaining}
