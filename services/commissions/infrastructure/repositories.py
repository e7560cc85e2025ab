"""Data mappers between the commissions domain and its tables."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, delete, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.domain.money import Money
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.commissions.domain.adjustment import Adjustment
from services.commissions.domain.campaign_budget import CampaignBudget
from services.commissions.domain.clicks import DailyClickAllowance, allowance_id
from services.commissions.domain.commission import Commission, Refund, Source
from services.commissions.domain.ledger import Bucket, PartnerLedger, ledger_id
from services.commissions.domain.payout_hold import PayoutHold
from services.commissions.domain.terms import Model
from services.commissions.infrastructure.tables import (
    adjustments,
    campaign_budgets,
    click_allowances,
    commissions,
    ledgers,
    parked_refunds,
    payout_holds,
)


class _Locking(SqlAlchemyRepository):
    def _locked_many(self, query) -> list:
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        return self._many(query.order_by(self.table.c.id))

    def _get_or_add(self, aggregate_id: str, make: Callable[[], object]):
        """The row locked for this transaction, inserted first if missing (a concurrent
        first insert of the same id wins; we then lock its row)."""
        found = self.get(aggregate_id, for_update=True)
        if found is not None:
            return found
        aggregate = make()
        try:
            with self.connection.begin_nested():
                self.add(aggregate)
            return aggregate
        except IntegrityError:
            return self.get(aggregate_id, for_update=True)


class SqlCommissionRepository(_Locking):
    table = commissions

    def recorded_or_parked(self, commission_id: str, conversion_id: str) -> tuple[bool, bool]:
        """Whether the commission is recorded, and whether refunds wait parked for its
        conversion: one statement (two primary-key probes), built once."""
        recorded, parked = self.connection.execute(_RECORDED_OR_PARKED, {
            "commission_id": commission_id, "conversion_id": conversion_id}).one()
        return bool(recorded), bool(parked)

    def get_many(self, ids: Sequence[str]) -> list[Commission]:
        return self._locked_many(select(commissions).where(commissions.c.id.in_(list(ids))))

    def brands_of(self, ids: Sequence[str]) -> dict[str, str]:
        """Commission id -> its brand's id (no lock: a commission's brand never changes)."""
        c = commissions.c
        rows = self.connection.execute(select(c.id, c.brand_id).where(c.id.in_(list(ids))))
        return {row.id: row.brand_id for row in rows}

    def approved_for(self, partner_id: str, currency: str) -> list[Commission]:
        c = commissions.c
        return self._locked_many(select(commissions).where(
            c.partner_id == partner_id, c.currency == currency, c.status == "APPROVED"))

    def due_for_approval(self, now: datetime, limit: int) -> list[str]:
        c = commissions.c
        return list(self.connection.execute(
            select(c.id).where(c.status == "PENDING", c.hold_until <= now)
            .order_by(c.hold_until).limit(limit)).scalars())

    def _to_row(self, commission: Commission) -> dict:
        source = commission.source
        order = source.order_amount
        return {
            "id": commission.id, "partner_id": source.partner_id,
            "campaign_id": source.campaign_id, "brand_id": source.brand_id,
            "conversion_id": source.conversion_id, "source_event_id": source.source_event_id,
            "model": source.model.value if source.model else None,
            "terms_version": source.terms_version, "note": source.note,
            "currency": commission.currency,
            "order_amount": order.amount if order else None,
            "order_currency": order.currency if order else None,
            "clicks": source.clicks, "click_day": source.click_day,
            "earned": commission.earned.amount, "amount": commission.amount.amount,
            "reversed": commission.reversed.amount, "status": commission.status.value,
            "reason": commission.reason, "hold_until": commission.hold_until,
            "payout_id": commission.payout_id, "refund_ids": list(commission.refund_ids),
            "occurred_at": source.occurred_at, "created_at": commission.created_at,
            "updated_at": commission.updated_at,
        }

    def _from_row(self, row) -> Commission:
        order = Money(row.order_amount, row.order_currency) if row.order_currency else None
        source = Source(
            partner_id=row.partner_id, campaign_id=row.campaign_id, brand_id=row.brand_id,
            source_event_id=row.source_event_id, terms_version=row.terms_version,
            model=Model(row.model) if row.model else None, occurred_at=row.occurred_at,
            conversion_id=row.conversion_id, order_amount=order, clicks=row.clicks,
            click_day=row.click_day, note=row.note)
        return Commission(
            id=row.id, source=source, earned=Money(row.earned, row.currency),
            amount=Money(row.amount, row.currency), reversed=Money(row.reversed, row.currency),
            status=row.status, created_at=row.created_at, updated_at=row.updated_at,
            hold_until=row.hold_until, reason=row.reason, payout_id=row.payout_id,
            refund_ids=tuple(row.refund_ids or ()))


class SqlAdjustmentRepository(_Locking):
    table = adjustments

    def get_many(self, ids: Sequence[str]) -> list[Adjustment]:
        return self._locked_many(select(adjustments).where(adjustments.c.id.in_(list(ids))))

    def open_for(self, partner_id: str, currency: str) -> list[Adjustment]:
        a = adjustments.c
        return self._locked_many(select(adjustments).where(
            a.partner_id == partner_id, a.currency == currency, a.status == "OPEN"))

    def _to_row(self, adjustment: Adjustment) -> dict:
        return {"id": adjustment.id, "partner_id": adjustment.partner_id,
                "commission_id": adjustment.commission_id, "refund_id": adjustment.refund_id,
                "currency": adjustment.currency, "amount": adjustment.amount.amount,
                "status": adjustment.status.value, "payout_id": adjustment.payout_id,
                "created_at": adjustment.created_at, "updated_at": adjustment.updated_at}

    def _from_row(self, row) -> Adjustment:
        return Adjustment(id=row.id, partner_id=row.partner_id, commission_id=row.commission_id,
                          refund_id=row.refund_id, amount=Money(row.amount, row.currency),
                          status=row.status, created_at=row.created_at,
                          updated_at=row.updated_at, payout_id=row.payout_id)


class SqlLedgerRepository(_Locking):
    table = ledgers

    def lock(self, partner_id: str, currency: str, now: datetime) -> PartnerLedger:
        return self._get_or_add(ledger_id(partner_id, currency), lambda: PartnerLedger(
            partner_id=partner_id, currency=currency, updated_at=now))

    def _to_row(self, ledger: PartnerLedger) -> dict:
        return {"id": ledger.id, "partner_id": ledger.partner_id, "currency": ledger.currency,
                "updated_at": ledger.updated_at, "changed": True,  # for balances_changed
                **{bucket.value: ledger.balances[bucket] for bucket in Bucket}}

    def _from_row(self, row) -> PartnerLedger:
        return PartnerLedger(partner_id=row.partner_id, currency=row.currency,
                             updated_at=row.updated_at,
                             balances={bucket: getattr(row, bucket.value) for bucket in Bucket})


class SqlHoldRepository(SqlAlchemyRepository[PayoutHold]):
    table = payout_holds

    def _to_row(self, hold: PayoutHold) -> dict:
        return {"id": hold.id, "partner_id": hold.partner_id, "currency": hold.currency,
                "status": hold.status.value, "amount": hold.amount.amount,
                "commission_ids": list(hold.commission_ids),
                "adjustment_ids": list(hold.adjustment_ids),
                "created_at": hold.created_at, "updated_at": hold.updated_at}

    def _from_row(self, row) -> PayoutHold:
        return PayoutHold(id=row.id, partner_id=row.partner_id, currency=row.currency,
                          status=row.status, amount=Money(row.amount, row.currency),
                          commission_ids=row.commission_ids, adjustment_ids=row.adjustment_ids,
                          created_at=row.created_at, updated_at=row.updated_at)


class SqlAllowanceRepository(_Locking):
    table = click_allowances

    def lock(self, partner_id: str, campaign_id: str, day: date,
             now: datetime) -> DailyClickAllowance:
        return self._get_or_add(allowance_id(partner_id, campaign_id, day),
                                lambda: DailyClickAllowance(
                                    partner_id=partner_id, campaign_id=campaign_id, day=day,
                                    paid_clicks=0, updated_at=now))

    def _to_row(self, allowance: DailyClickAllowance) -> dict:
        return {"id": allowance.id, "partner_id": allowance.partner_id,
                "campaign_id": allowance.campaign_id, "day": allowance.day,
                "paid_clicks": allowance.paid_clicks, "updated_at": allowance.updated_at}

    def _from_row(self, row) -> DailyClickAllowance:
        return DailyClickAllowance(partner_id=row.partner_id, campaign_id=row.campaign_id,
                                   day=row.day, paid_clicks=row.paid_clicks,
                                   updated_at=row.updated_at)


class SqlCampaignBudgetRepository(SqlAlchemyRepository[CampaignBudget]):
    table = campaign_budgets

    def _to_row(self, budget: CampaignBudget) -> dict:
        return {"id": budget.id, "brand_id": budget.brand_id, "currency": budget.currency,
                "total": budget.total.amount, "reserved": budget.reserved.amount,
                "smallest": budget.smallest.amount, "revision": budget.revision,
                "exhausted": budget.exhausted, "updated_at": budget.updated_at,
                "changed": True}  # for balances_changed

    def _from_row(self, row) -> CampaignBudget:
        return CampaignBudget(
            id=row.id, brand_id=row.brand_id, total=Money(row.total, row.currency),
            reserved=Money(row.reserved, row.currency),
            smallest=Money(row.smallest, row.currency), revision=row.revision,
            exhausted=row.exhausted, updated_at=row.updated_at)

    def owed_so_far(self, campaign_id: str, currency: str) -> Money:
        """What the commissions already recorded for the campaign owe: their amounts,
        less the clawbacks payouts have recovered (a campaign met before its budget)."""
        owed = self.connection.execute(_OWED, {"campaign_id": campaign_id}).scalar() or 0
        recovered = self.connection.execute(
            _RECOVERED, {"campaign_id": campaign_id}).scalar() or 0
        return Money(owed, currency) + Money(recovered, currency)


_OWED = select(func.coalesce(func.sum(commissions.c.amount), 0)).where(
    commissions.c.campaign_id == bindparam("campaign_id"))
_RECOVERED = select(func.coalesce(func.sum(adjustments.c.amount), 0)).where(
    adjustments.c.status == "SETTLED",
    adjustments.c.commission_id.in_(select(commissions.c.id).where(
        commissions.c.campaign_id == bindparam("campaign_id"))))


# Statements run per message, built once: building one costs more CPU than running it
# (a fresh statement is also a fresh compiled-cache key to compute).
_p = parked_refunds.c
_RECORDED_OR_PARKED = select(
    exists().where(commissions.c.id == bindparam("commission_id")),
    exists().where(_p.conversion_id == bindparam("conversion_id")))
_PARK = insert(parked_refunds)
_PARKED_FOR = select(parked_refunds).where(
    _p.conversion_id == bindparam("conversion_id")).order_by(_p.parked_at)
_UNPARK = delete(parked_refunds).where(_p.conversion_id == bindparam("conversion_id"),
                                       _p.refund_id == bindparam("refund_id"))


class SqlParkedRefunds(AbstractRepository):
    def __init__(self, connection):
        super().__init__()
        self.connection = connection

    def park(self, conversion_id: str, refund: Refund, now: datetime) -> None:
        try:
            with self.connection.begin_nested():
                self.connection.execute(_PARK, {
                    "conversion_id": conversion_id, "refund_id": refund.refund_id,
                    "currency": refund.order_amount.currency,
                    "order_amount": refund.order_amount.amount,
                    "total_reversed": refund.total_reversed.amount,
                    "fully_reversed": refund.fully_reversed, "parked_at": now})
        except IntegrityError:
            pass  # parked already

    def for_conversion(self, conversion_id: str) -> list[Refund]:
        rows = self.connection.execute(_PARKED_FOR, {"conversion_id": conversion_id}).all()
        return [Refund(refund_id=row.refund_id,
                       order_amount=Money(row.order_amount, row.currency),
                       total_reversed=Money(row.total_reversed, row.currency),
                       fully_reversed=row.fully_reversed) for row in rows]

    def remove(self, conversion_id: str, refund_id: str) -> None:
        self.connection.execute(_UNPARK, {"conversion_id": conversion_id,
                                          "refund_id": refund_id})

    def with_commission(self, limit: int) -> list[str]:
        """Conversions with parked refunds whose commission now exists (crash leftovers)."""
        p, c = parked_refunds.c, commissions.c
        return list(self.connection.execute(
            select(p.conversion_id).distinct()
            .where(p.conversion_id == c.conversion_id).limit(limit)).scalars())
