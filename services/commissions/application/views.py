"""Read side: plain SQL to DTOs, skipping the domain (cosmicpython's views).

Amounts leave as money objects ``{"amount": "20.00", "currency": "USD"}``; in balances,
where the currency is given once per entry, as decimal strings padded to the currency's
minor unit (``"20.00"``).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import (
    amount_text,
    day_text,
    decimal,
    filtered_page,
    money_dict,
    time_text,
)
from services.commissions.application import queries

BUCKETS = ("pending", "approved", "in_payout", "paid", "adjustments")
_COLUMNS = ("id, partner_id, campaign_id, brand_id, conversion_id, source_event_id, model, "
            "terms_version, currency, order_amount, order_currency, clicks, click_day, earned, "
            "amount, reversed, status, reason, hold_until, payout_id, occurred_at, created_at, "
            "updated_at")


def _commission_dto(row) -> dict:
    return {
        "commission_id": row.id,
        "partner_id": row.partner_id,
        "campaign_id": row.campaign_id,
        "brand_id": row.brand_id,
        "conversion_id": row.conversion_id,
        "source_event_id": row.source_event_id,
        "model": row.model,
        "terms_version": row.terms_version,
        "amount": money_dict(row.amount, row.currency),
        "earned": money_dict(row.earned, row.currency),
        "reversed": money_dict(row.reversed, row.currency),
        "order_amount": money_dict(row.order_amount, row.order_currency),
        "clicks": row.clicks,
        "click_day": day_text(row.click_day),
        "status": row.status,
        "reason": row.reason,
        "hold_until": time_text(row.hold_until),
        "payout_id": row.payout_id,
        "occurred_at": time_text(row.occurred_at),
        "created_at": time_text(row.created_at),
        "updated_at": time_text(row.updated_at),
    }


def commission(conn: Connection, commission_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM commissions WHERE id = :id"),
                       {"id": commission_id}).first()
    return _commission_dto(row) if row else None


def commissions_page(conn: Connection, query: queries.ListCommissions) -> dict:
    rows, total = filtered_page(
        conn, table="commissions", columns=_COLUMNS, order_by="created_at DESC, id",
        filters={column: getattr(query, column)
                 for column in ("partner_id", "campaign_id", "brand_id", "status")},
        page=query.page, page_size=query.page_size)
    return {"items": [_commission_dto(row) for row in rows], "page": query.page,
            "page_size": query.page_size, "total": total}


def _balance_dto(row) -> dict:
    amounts = {bucket: decimal(getattr(row, bucket)) for bucket in BUCKETS}
    payable = amounts["approved"] + amounts["adjustments"]
    return {"currency": row.currency,
            **{bucket: amount_text(value, row.currency) for bucket, value in amounts.items()},
            "payable": amount_text(payable, row.currency)}


def balance(conn: Connection, partner_id: str) -> dict:
    rows = conn.execute(text(
        f"SELECT currency, {', '.join(BUCKETS)} FROM ledgers WHERE partner_id = :partner_id "
        "ORDER BY currency"), {"partner_id": partner_id}).all()
    return {"partner_id": partner_id, "balances": [_balance_dto(row) for row in rows]}


def payable(conn: Connection, currency: str, min_amount: Decimal) -> dict:
    """Partners whose payable balance (approved net of clawbacks) reaches ``min_amount``.
    Sums in Python: on SQLite the amounts are decimal text."""
    rows = conn.execute(text(
        "SELECT partner_id, approved, adjustments FROM ledgers WHERE currency = :currency "
        "ORDER BY partner_id"), {"currency": currency}).all()
    items = []
    for row in rows:
        net = decimal(row.approved) + decimal(row.adjustments)
        if net > 0 and net >= min_amount:
            items.append({"partner_id": row.partner_id,
                          "payable": amount_text(net, currency),
                          "approved": amount_text(row.approved, currency),
                          "adjustments": amount_text(row.adjustments, currency)})
    return {"currency": currency, "min_amount": amount_text(min_amount, currency),
            "items": items}
