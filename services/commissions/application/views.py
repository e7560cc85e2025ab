"""Read side: SQLAlchemy Core over the commissions tables straight to DTOs, skipping the
domain (cosmicpython's views).

Amounts leave as money objects ``{"amount": "20.00", "currency": "USD"}``; in balances,
where the currency is given once per entry, as decimal strings padded to the currency's
minor unit (``"20.00"``). Sums are done in Python: on SQLite the amounts are decimal text.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import (
    Listing,
    amount_text,
    day_text,
    equal_to,
    money_dict,
    time_text,
)
from common.seedwork.domain.money import Money
from services.commissions.application import queries
from services.commissions.domain.commission import kind_of
from services.commissions.infrastructure.tables import campaign_budgets, commissions, ledgers

BUCKETS = ("pending", "approved", "in_payout", "paid", "adjustments")
_COLUMNS = [commissions.c[name] for name in (
    "id", "partner_id", "campaign_id", "brand_id", "conversion_id", "source_event_id",
    "model", "terms_version", "currency", "order_amount", "order_currency", "clicks",
    "click_day", "note", "earned", "amount", "reversed", "status", "reason", "hold_until",
    "payout_id", "occurred_at", "created_at", "updated_at")]
_COMMISSION = select(*_COLUMNS).where(commissions.c.id == bindparam("id"))
_COMMISSIONS = Listing(
    *_COLUMNS, order_by=(commissions.c.created_at.desc(), commissions.c.id),
    filters={**equal_to(commissions.c.partner_id, commissions.c.campaign_id,
                        commissions.c.brand_id, commissions.c.status),
             "start": commissions.c.created_at >= bindparam("start"),
             "end": commissions.c.created_at < bindparam("end")})
_BALANCES = (select(ledgers.c.currency, *(ledgers.c[bucket] for bucket in BUCKETS))
             .where(ledgers.c.partner_id == bindparam("partner_id"))
             .order_by(ledgers.c.currency))
_PAYABLE = (select(ledgers.c.partner_id, ledgers.c.approved, ledgers.c.adjustments)
            .where(ledgers.c.currency == bindparam("currency"))
            .order_by(ledgers.c.partner_id))


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
        "kind": kind_of(row.conversion_id, row.clicks),
        "note": row.note,
        "status": row.status,
        "reason": row.reason,
        "hold_until": time_text(row.hold_until),
        "payout_id": row.payout_id,
        "occurred_at": time_text(row.occurred_at),
        "created_at": time_text(row.created_at),
        "updated_at": time_text(row.updated_at),
    }


def commission(conn: Connection, commission_id: str) -> dict | None:
    row = conn.execute(_COMMISSION, {"id": commission_id}).first()
    return _commission_dto(row) if row else None


def commissions_page(conn: Connection, query: queries.ListCommissions) -> dict:
    return _COMMISSIONS.page(
        conn, page=query.page, page_size=query.page_size,
        items=lambda rows: [_commission_dto(row) for row in rows],
        partner_id=query.partner_id, campaign_id=query.campaign_id,
        brand_id=query.brand_id, status=query.status, start=query.start, end=query.end)


def _balance_dto(row) -> dict:
    amounts = {bucket: getattr(row, bucket) for bucket in BUCKETS}
    payable = amounts["approved"] + amounts["adjustments"]
    return {"currency": row.currency,
            **{bucket: amount_text(value, row.currency) for bucket, value in amounts.items()},
            "payable": amount_text(payable, row.currency)}


def balance(conn: Connection, partner_id: str) -> dict:
    rows = conn.execute(_BALANCES, {"partner_id": partner_id}).all()
    return {"partner_id": partner_id, "balances": [_balance_dto(row) for row in rows]}


def payable(conn: Connection, currency: str, min_amount: Decimal) -> dict:
    """Partners whose payable balance (approved net of clawbacks) reaches ``min_amount``."""
    items = []
    for row in conn.execute(_PAYABLE, {"currency": currency}).all():
        net = row.approved + row.adjustments
        if net > 0 and net >= min_amount:
            items.append({"partner_id": row.partner_id,
                          "payable": amount_text(net, currency),
                          "approved": amount_text(row.approved, currency),
                          "adjustments": amount_text(row.adjustments, currency)})
    return {"currency": currency, "min_amount": amount_text(min_amount, currency),
            "items": items}


_BUDGET = select(campaign_budgets).where(campaign_budgets.c.id == bindparam("id"))


def campaign_budget(conn: Connection, campaign_id: str) -> dict | None:
    """A campaign's budget as commissions promise it: what the brand set, what the
    commissions owe, what is left, and whether a commission can still be paid."""
    row = conn.execute(_BUDGET, {"id": campaign_id}).first()
    if row is None:
        return None
    total, reserved = Money(row.total, row.currency), Money(row.reserved, row.currency)
    return {"campaign_id": row.id, "total": total.to_dict(), "reserved": reserved.to_dict(),
            "remaining": (total - reserved).to_dict(), "exhausted": row.exhausted}
