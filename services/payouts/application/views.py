"""Read side: plain SQL to DTOs, skipping the domain. Amounts are money objects
``{"amount": "20.00", "currency": "USD"}``."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import (
    filtered_page,
    json_value,
    money_dict,
    time_text,
)
from services.payouts.application import queries

_COLUMNS = ("id, partner_id, currency, cycle, status, min_amount, amount, commission_ids, "
            "adjustment_ids, psp_reference, reason, attempt, next_attempt_at, created_at, "
            "updated_at")


def _dto(row) -> dict:
    return {
        "payout_id": row.id,
        "partner_id": row.partner_id,
        "currency": row.currency,
        "cycle": row.cycle,
        "status": row.status,
        "amount": money_dict(row.amount, row.currency),
        "min_amount": money_dict(row.min_amount, row.currency),
        "commission_ids": json_value(row.commission_ids),
        "adjustment_ids": json_value(row.adjustment_ids),
        "psp_reference": row.psp_reference,
        "reason": row.reason,
        "attempt": row.attempt,
        "next_attempt_at": time_text(row.next_attempt_at),
        "created_at": time_text(row.created_at),
        "updated_at": time_text(row.updated_at),
    }


def payout(conn: Connection, payout_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM payouts WHERE id = :id"),
                       {"id": payout_id}).first()
    if row is None:
        return None
    steps = conn.execute(text(
        "SELECT attempt, step, outcome, detail, at FROM payout_steps "
        "WHERE payout_id = :id ORDER BY position"), {"id": payout_id}).all()
    return {**_dto(row), "saga_log": [
        {"attempt": s.attempt, "step": s.step, "outcome": s.outcome,
         "detail": json_value(s.detail), "at": time_text(s.at)} for s in steps]}


def payouts_page(conn: Connection, query: queries.ListPayouts) -> dict:
    rows, total = filtered_page(
        conn, table="payouts", columns=_COLUMNS, order_by="created_at DESC, id",
        filters={"partner_id": query.partner_id, "status": query.status, "cycle": query.cycle},
        page=query.page, page_size=query.page_size)
    return {"items": [_dto(row) for row in rows], "page": query.page,
            "page_size": query.page_size, "total": total}
