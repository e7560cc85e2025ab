"""In-memory fakes of the commissions repositories."""
from __future__ import annotations

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.domain.money import Money
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.commissions.application.integration_events import TRANSLATOR
from services.commissions.domain.balances import BudgetBalance, LedgerBalance
from services.commissions.domain.clicks import DailyClickAllowance, allowance_id
from services.commissions.domain.ledger import Bucket, PartnerLedger, ledger_id


class FakeCommissions(InMemoryRepository):
    def __init__(self, parked):
        super().__init__()
        self._parked = parked  # () -> the parked refunds repository (as FakeCampaignBudgets)

    def recorded_or_parked(self, commission_id, conversion_id):
        return (commission_id in self.items,
                any(c == conversion_id for c, _ in self._parked().items))

    def get_many(self, ids):
        return sorted(self.find(lambda c: c.id in set(ids)), key=lambda c: c.id)

    def brands_of(self, ids):
        return {c.id: c.brand_id for c in self.get_many(ids)}

    def approved_for(self, partner_id, currency):
        return sorted(self.find(lambda c: (c.partner_id, c.currency, c.status.value)
                                == (partner_id, currency, "APPROVED")), key=lambda c: c.id)

    def due_for_approval(self, now, limit):
        return [c.id for c in self.items.values() if c.is_due(now)][:limit]


class FakeAdjustments(InMemoryRepository):
    def get_many(self, ids):
        return sorted(self.find(lambda a: a.id in set(ids)), key=lambda a: a.id)

    def open_for(self, partner_id, currency):
        return sorted(self.find(lambda a: (a.partner_id, a.currency, a.status.value)
                                == (partner_id, currency, "OPEN")), key=lambda a: a.id)


class FakeLedgers(InMemoryRepository):
    def lock(self, partner_id, currency, now):
        ledger = self.get(ledger_id(partner_id, currency))
        if ledger is None:
            ledger = PartnerLedger(partner_id=partner_id, currency=currency, updated_at=now)
            self.add(ledger)
        return ledger


class FakeAllowances(InMemoryRepository):
    def lock(self, partner_id, campaign_id, day, now):
        found = self.get(allowance_id(partner_id, campaign_id, day))
        if found is None:
            found = DailyClickAllowance(partner_id=partner_id, campaign_id=campaign_id, day=day,
                                        paid_clicks=0, updated_at=now)
            self.add(found)
        return found


class FakeCampaignBudgets(InMemoryRepository):
    def __init__(self, entries):
        super().__init__()
        # a function, not the repositories: a rolled-back transaction restores this
        # repository's state from a deep copy, which would freeze copies of them here
        self._entries = entries  # () -> (commissions repository, adjustments repository)

    def owed_so_far(self, campaign_id, currency):
        """The commissions' amounts less the clawbacks payouts recovered (as the SQL does)."""
        commissions, adjustments = self._entries()
        of_campaign = {c.id: c for c in commissions.items.values()
                       if c.source.campaign_id == campaign_id}
        recovered = [a.amount for a in adjustments.items.values()
                     if a.commission_id in of_campaign and a.status.value == "SETTLED"]
        return sum([c.amount for c in of_campaign.values()] + recovered, Money.zero(currency))


class FakeParkedRefunds(AbstractRepository):
    def __init__(self, commissions: FakeCommissions):
        super().__init__()
        self.items = {}  # (conversion_id, refund_id) -> refund
        self._commissions = commissions

    def park(self, conversion_id, refund, now):
        self.items.setdefault((conversion_id, refund.refund_id), refund)

    def for_conversion(self, conversion_id):
        return [r for (c, _), r in self.items.items() if c == conversion_id]

    def remove(self, conversion_id, refund_id):
        self.items.pop((conversion_id, refund_id), None)

    def with_commission(self, limit):
        known = {c.source.conversion_id for c in self._commissions.items.values()}
        return sorted({c for c, _ in self.items if c in known})[:limit]


class FakeBalances(AbstractRepository):
    """A ledger or budget is changed while its version differs from the one last
    published (the SQL marks the row at each save: the same thing)."""

    def __init__(self, entries):
        super().__init__()
        self._entries = entries  # () -> (ledgers, budgets, commissions repositories)
        self.published: dict[tuple[str, str], int] = {}

    def _changed(self, kind, items, limit=None):
        found = sorted((item for item in items.values()
                        if self.published.get((kind, item.id)) != item.version),
                       key=lambda item: item.id)
        return found[:limit]

    def any_changed(self):
        ledgers, budgets, _ = self._entries()
        return bool(self._changed("ledger", ledgers.items) or
                    self._changed("budget", budgets.items))

    def changed_budgets(self, limit):
        _, budgets, commissions = self._entries()
        balances = []
        for budget in self._changed("budget", budgets.items, limit):
            pending = [c.amount for c in commissions.items.values()
                       if c.campaign_id == budget.id and c.status.value == "PENDING"]
            balances.append(BudgetBalance(
                campaign_id=budget.id, brand_id=budget.brand_id, total=budget.total,
                reserved=budget.reserved, exhausted=budget.exhausted,
                pending_count=len(pending),
                pending_amount=sum(pending, Money.zero(budget.currency)),
                revision=budget.version, updated_at=budget.updated_at))
        return balances

    def changed_ledgers(self, limit):
        ledgers, _, _ = self._entries()
        return [LedgerBalance(partner_id=ledger.partner_id, currency=ledger.currency,
                              balances={b: ledger.balance(b) for b in Bucket},
                              revision=ledger.version, updated_at=ledger.updated_at)
                for ledger in self._changed("ledger", ledgers.items, limit)]

    def publish(self, snapshot):
        for budget in snapshot.budgets:
            self.published[("budget", budget.campaign_id)] = budget.revision
        for ledger in snapshot.ledgers:
            self.published[("ledger", ledger_id(ledger.partner_id, ledger.currency))] = (
                ledger.revision)
        self._track(snapshot)


def fake_uow():
    commissions = FakeCommissions(lambda: uow.parked_refunds)
    uow = InMemoryUnitOfWork(
        translator=TRANSLATOR, commissions=commissions, adjustments=FakeAdjustments(),
        ledgers=FakeLedgers(), holds=InMemoryRepository(), allowances=FakeAllowances(),
        budgets=FakeCampaignBudgets(lambda: (uow.commissions, uow.adjustments)),
        parked_refunds=FakeParkedRefunds(commissions),
        balances=FakeBalances(lambda: (uow.ledgers, uow.budgets, uow.commissions)))
    return uow
