"""Read side: SQLAlchemy Core over the payouts tables straight to DTOs, skipping the
domain. Amounts are money objects ``{"amount": "20.00", "currency": "USD"}``."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import Listing, equal_to, money_dict, time_text
from services.payouts.application import queries
from services.payouts.infrastructure.tables import payout_steps, payouts

_COLUMNS = [payouts.c[name] for name in (
    "id", "partner_id", "currency", "cycle", "status", "min_amount", "amount",
    "commission_ids", "adjustment_ids", "psp_reference", "reason", "attempt",
    "next_attempt_at", "created_at", "updated_at")]
_PAYOUT = select(*_COLUMNS).where(payouts.c.id == bindparam("id"))
_STEPS = (select(payout_steps.c.attempt, payout_steps.c.step, payout_steps.c.outcome,
                 payout_steps.c.detail, payout_steps.c.at)
          .where(payout_steps.c.payout_id == bindparam("id"))
          .order_by(payout_steps.c.position))
_PAYOUTS = Listing(
    *_COLUMNS, order_by=(payouts.c.created_at.desc(), payouts.c.id),
    filters=equal_to(payouts.c.partner_id, payouts.c.status, payouts.c.cycle))


def _dto(row) -> dict:
    return {
        "payout_id": row.id,
        "partner_id": row.partner_id,
        "currency": row.currency,
        "cycle": row.cycle,
        "status": row.status,
        "amount": money_dict(row.amount, row.currency),
        "min_amount": money_dict(row.min_amount, row.currency),
        "commission_ids": row.commission_ids,
        "adjustment_ids": row.adjustment_ids,
        "psp_reference": row.psp_reference,
        "reason": row.reason,
        "attempt": row.attempt,
        "next_attempt_at": time_text(row.next_attempt_at),
        "created_at": time_text(row.created_at),
        "updated_at": time_text(row.updated_at),
    }


def payout(conn: Connection, payout_id: str) -> dict | None:
    row = conn.execute(_PAYOUT, {"id": payout_id}).first()
    if row is None:
        return None
    steps = conn.execute(_STEPS, {"id": payout_id}).all()
    return {**_dto(row), "saga_log": [
        {"attempt": s.attempt, "step": s.step, "outcome": s.outcome, "detail": s.detail,
         "at": time_text(s.at)} for s in steps]}


def payouts_page(conn: Connection, query: queries.ListPayouts) -> dict:
    return _PAYOUTS.page(
        conn, page=query.page, page_size=query.page_size,
        items=lambda rows: [_dto(row) for row in rows],
        partner_id=query.partner_id, status=query.status, cycle=query.cycle)
