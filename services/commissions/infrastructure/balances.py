"""The ``balances_changed`` batches: ledgers and campaign budgets marked ``changed``.

Rows are taken ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two instances' timers take
disjoint rows; a posting that holds a row's lock is simply left for the next batch),
budgets before ledgers as every use case locks them. Each budget's PENDING commissions
are counted in the same transaction, under its row lock: every change of them also
changes the budget row (its version), so a budget's figures match its revision. Sums of
amounts are exact: in SQL on PostgreSQL (NUMERIC), in Python on SQLite (decimal text).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import bindparam, func, select, true, update
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.domain.money import Money
from services.commissions.domain.balances import BalancesSnapshot, BudgetBalance, LedgerBalance
from services.commissions.domain.ledger import Bucket
from services.commissions.infrastructure.tables import campaign_budgets, commissions, ledgers

PENDING = "PENDING"


class SqlBalances(AbstractRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def any_changed(self) -> bool:
        return (self.connection.execute(_ANY_BUDGET).first() is not None
                or self.connection.execute(_ANY_LEDGER).first() is not None)

    def changed_budgets(self, limit: int) -> list[BudgetBalance]:
        rows = self.connection.execute(self._locked(_BUDGETS, campaign_budgets, limit)).all()
        pending = self._pending([row.id for row in rows])
        balances = []
        for row in rows:
            count, amount = pending.get(row.id, (0, Decimal(0)))
            balances.append(BudgetBalance(
                campaign_id=row.id, brand_id=row.brand_id,
                total=Money(row.total, row.currency),
                reserved=Money(row.reserved, row.currency), exhausted=row.exhausted,
                pending_count=count, pending_amount=Money(amount, row.currency),
                revision=row.version, updated_at=row.updated_at))
        return balances

    def changed_ledgers(self, limit: int) -> list[LedgerBalance]:
        rows = self.connection.execute(self._locked(_LEDGERS, ledgers, limit)).all()
        return [LedgerBalance(
            partner_id=row.partner_id, currency=row.currency,
            balances={bucket: Money(getattr(row, bucket.value), row.currency)
                      for bucket in Bucket},
            revision=row.version, updated_at=row.updated_at) for row in rows]

    def publish(self, snapshot: BalancesSnapshot) -> None:
        """Clear the marks of the rows at the versions published (rows locked since they
        were read: nothing changed them meanwhile) and hand the event over."""
        if snapshot.budgets:
            self.connection.execute(_BUDGET_PUBLISHED, [
                {"key": b.campaign_id, "published": b.revision} for b in snapshot.budgets])
        if snapshot.ledgers:
            self.connection.execute(_LEDGER_PUBLISHED, [
                {"key": f"{led.partner_id}:{led.currency}", "published": led.revision}
                for led in snapshot.ledgers])
        self._track(snapshot)

    # ------------------------------------------------------------------------------------
    def _locked(self, query, table, limit: int):
        query = query.order_by(table.c.id).limit(limit)
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return query

    def _pending(self, campaign_ids: list[str]) -> dict[str, tuple[int, Decimal]]:
        """(count, amount) of each campaign's PENDING commissions."""
        if not campaign_ids:
            return {}
        if self.connection.dialect.name == "postgresql":
            return {row.campaign_id: (row.n, row.amount) for row in self.connection.execute(
                _PENDING_SUMS, {"ids": campaign_ids})}
        totals: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
        for row in self.connection.execute(_PENDING_AMOUNTS, {"ids": campaign_ids}):
            totals[row.campaign_id][0] += 1
            totals[row.campaign_id][1] += row.amount
        return {campaign_id: (n, amount) for campaign_id, (n, amount) in totals.items()}


_ANY_BUDGET = select(campaign_budgets.c.id).where(campaign_budgets.c.changed == true()).limit(1)
_ANY_LEDGER = select(ledgers.c.id).where(ledgers.c.changed == true()).limit(1)
_BUDGETS = select(campaign_budgets).where(campaign_budgets.c.changed == true())
_LEDGERS = select(ledgers).where(ledgers.c.changed == true())
_BUDGET_PUBLISHED = update(campaign_budgets).where(
    campaign_budgets.c.id == bindparam("key"),
    campaign_budgets.c.version == bindparam("published")).values(changed=False)
_LEDGER_PUBLISHED = update(ledgers).where(
    ledgers.c.id == bindparam("key"),
    ledgers.c.version == bindparam("published")).values(changed=False)
_IN_CAMPAIGNS = commissions.c.campaign_id.in_(bindparam("ids", expanding=True))
_PENDING_SUMS = (select(commissions.c.campaign_id, func.count().label("n"),
                        func.sum(commissions.c.amount).label("amount"))
                 .where(_IN_CAMPAIGNS, commissions.c.status == PENDING)
                 .group_by(commissions.c.campaign_id))
_PENDING_AMOUNTS = (select(commissions.c.campaign_id, commissions.c.amount)
                    .where(_IN_CAMPAIGNS, commissions.c.status == PENDING))
