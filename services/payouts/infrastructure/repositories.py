"""Data mappers between the payouts domain and its tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError

from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.payouts.domain.payee import Payee
from services.payouts.domain.payout import ACTIVE, Payout, PayoutStatus
from services.payouts.infrastructure.tables import payees, payout_steps, payouts


class SqlPayoutRepository(SqlAlchemyRepository[Payout]):
    """Saves the payout and appends the saga log entries it recorded, in one transaction.

    Two unique indexes guard what concurrent runs decide: one payout per partner,
    currency and cycle, and at most one under way per partner and currency. Either
    refusal is a ``Conflict``: someone else's payout won."""

    table = payouts

    def add(self, payout: Payout) -> None:
        try:
            with self.connection.begin_nested():
                super().add(payout)
        except IntegrityError:
            raise _taken() from None
        self._append_log(payout)

    def save(self, payout: Payout) -> None:
        try:
            super().save(payout)
        except IntegrityError:  # going under way again while another one is
            raise _taken() from None
        self._append_log(payout)

    def by_key(self, partner_id: str, currency: str, cycle: str) -> Payout | None:
        p = payouts.c
        return self._one(select(payouts).where(
            p.partner_id == partner_id, p.currency == currency, p.cycle == cycle))

    def under_way(self, partner_id: str, currency: str) -> Payout | None:
        """The partner's payout under way in this currency, whatever its cycle."""
        p = payouts.c
        return self._one(select(payouts).where(
            p.partner_id == partner_id, p.currency == currency,
            p.status.in_([status.value for status in ACTIVE])))

    def paid_since(self, partner_id: str, currency: str, since: datetime) -> Payout | None:
        """The partner's latest payout in this currency that ended PAID at ``since`` or
        later."""
        p = payouts.c
        return self._one(select(payouts).where(
            p.partner_id == partner_id, p.currency == currency,
            p.status == PayoutStatus.PAID.value, p.updated_at >= since)
            .order_by(p.updated_at.desc()).limit(1))

    def due(self, now: datetime, limit: int) -> list[str]:
        p = payouts.c
        return list(self.connection.execute(
            select(p.id).where(
                p.status.in_([status.value for status in ACTIVE]),
                or_(p.lease_until.is_(None), p.lease_until <= now),
                or_(p.next_attempt_at.is_(None), p.next_attempt_at <= now))
            .order_by(p.created_at).limit(limit)).scalars())

    def _append_log(self, payout: Payout) -> None:
        steps, payout.new_steps = payout.new_steps, []
        if steps:
            self.connection.execute(insert(payout_steps), [
                {"payout_id": payout.id, "attempt": s.attempt, "step": s.step,
                 "outcome": s.outcome, "detail": s.detail, "at": s.at} for s in steps])

    def _to_row(self, payout: Payout) -> dict:
        return {
            "id": payout.id, "partner_id": payout.partner_id, "currency": payout.currency,
            "cycle": payout.cycle, "status": payout.status.value,
            "min_amount": payout.min_amount.amount, "payout_method": payout.payout_method,
            "amount": payout.amount.amount if payout.amount else None,
            "commission_ids": list(payout.commission_ids),
            "adjustment_ids": list(payout.adjustment_ids),
            "commission_brands": payout.commission_brands,
            "psp_reference": payout.psp_reference, "reason": payout.reason,
            "attempt": payout.attempt, "lease_owner": payout.lease_owner,
            "lease_until": payout.lease_until, "next_attempt_at": payout.next_attempt_at,
            "created_at": payout.created_at, "updated_at": payout.updated_at,
        }

    def _from_row(self, row) -> Payout:
        return Payout(
            id=row.id, partner_id=row.partner_id, currency=row.currency, cycle=row.cycle,
            status=row.status, min_amount=Money(row.min_amount, row.currency),
            payout_method=row.payout_method, created_at=row.created_at,
            updated_at=row.updated_at, attempt=row.attempt,
            amount=Money(row.amount, row.currency) if row.amount is not None else None,
            commission_ids=row.commission_ids, adjustment_ids=row.adjustment_ids,
            commission_brands=row.commission_brands,
            psp_reference=row.psp_reference, reason=row.reason, lease_owner=row.lease_owner,
            lease_until=row.lease_until, next_attempt_at=row.next_attempt_at)


class SqlPayeeRepository(SqlAlchemyRepository[Payee]):
    table = payees

    def _to_row(self, payee: Payee) -> dict:
        return {"id": payee.id, "status": payee.status, "payout_method": payee.payout_method,
                "revision": payee.revision, "updated_at": payee.updated_at}

    def _from_row(self, row) -> Payee:
        return Payee(partner_id=row.id, status=row.status, payout_method=row.payout_method,
                     revision=row.revision, updated_at=row.updated_at)


def _taken() -> Conflict:
    return Conflict("This partner already has a payout in this cycle, or one under way.",
                    {"cycle": ["Already paid or being paid."]})
