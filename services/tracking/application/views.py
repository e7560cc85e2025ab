"""Read side: plain SQL to DTOs, skipping the domain (conversions and the daily stats
read model)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import decimal, money_dict, time_text
from common.seedwork.domain.clock import as_utc
from services.tracking.application import queries

RATE_PLACES = Decimal("0.0001")
_CONVERSION_COLUMNS = (
    "id, brand_id, order_id, amount, currency, status, reason, partner_id, campaign_id, "
    "enrollment_id, referral_code, click_id, terms_version, customer_ip, customer_id, "
    "occurred_at, recorded_at, reversed_amount")
_COUNTERS = ("clicks", "valid_clicks", "conversions", "rejected_conversions")


# --- conversions --------------------------------------------------------------------------
def conversion(conn: Connection, conversion_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {_CONVERSION_COLUMNS} FROM conversions WHERE id = :id"),
                       {"id": conversion_id}).first()
    if row is None:
        return None
    refunded = decimal(row.reversed_amount) != 0
    return _conversion_dto(row, _refunds(conn, [row.id]).get(row.id, []) if refunded else [])


def conversions_page(conn: Connection, query: queries.ListConversions) -> dict:
    filters, params = [], {}
    for column in ("partner_id", "campaign_id", "brand_id", "status"):
        value = getattr(query, column)
        if value:
            filters.append(f"{column} = :{column}")
            params[column] = value
    if query.start is not None:
        filters.append("occurred_at >= :start")
        params["start"] = _naive(query.start)
    if query.end is not None:
        filters.append("occurred_at < :end")
        params["end"] = _naive(query.end)
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    total = conn.execute(text(f"SELECT count(*) FROM conversions {where}"), params).scalar()
    rows = conn.execute(
        text(f"SELECT {_CONVERSION_COLUMNS} FROM conversions {where} "
             "ORDER BY occurred_at DESC, id LIMIT :limit OFFSET :offset"),
        {**params, "limit": query.page_size, "offset": (query.page - 1) * query.page_size},
    ).all()
    refunds = _refunds(conn, [row.id for row in rows])
    return {"items": [_conversion_dto(row, refunds.get(row.id, [])) for row in rows],
            "page": query.page, "page_size": query.page_size, "total": total}


def _refunds(conn: Connection, conversion_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = defaultdict(list)
    if not conversion_ids:
        return found
    marks = ", ".join(f":id{n}" for n in range(len(conversion_ids)))
    rows = conn.execute(
        text("SELECT r.conversion_id, r.refund_id, r.amount, r.recorded_at, c.currency "
             "FROM conversion_refunds r JOIN conversions c ON c.id = r.conversion_id "
             f"WHERE r.conversion_id IN ({marks}) ORDER BY r.recorded_at, r.refund_id"),
        {f"id{n}": value for n, value in enumerate(conversion_ids)}).all()
    for row in rows:
        found[row.conversion_id].append({
            "refund_id": row.refund_id, "amount": money_dict(row.amount, row.currency),
            "recorded_at": time_text(row.recorded_at)})
    return found


def _conversion_dto(row, refunds: list[dict]) -> dict:
    reversed_amount = decimal(row.reversed_amount)
    return {
        "conversion_id": row.id, "brand_id": row.brand_id, "order_id": row.order_id,
        "amount": money_dict(row.amount, row.currency), "status": row.status,
        "reason": row.reason, "partner_id": row.partner_id, "campaign_id": row.campaign_id,
        "enrollment_id": row.enrollment_id, "referral_code": row.referral_code,
        "click_id": row.click_id, "terms_version": row.terms_version,
        "customer_ip": row.customer_ip, "customer_id": row.customer_id,
        "occurred_at": time_text(row.occurred_at), "recorded_at": time_text(row.recorded_at),
        "reversed": money_dict(reversed_amount, row.currency),
        "fully_reversed": reversed_amount == decimal(row.amount),
        "refunds": refunds,
    }


# --- stats --------------------------------------------------------------------------------
def campaign_stats(conn: Connection, query: queries.CampaignStats) -> dict | None:
    currency = conn.execute(text("SELECT currency FROM campaigns WHERE id = :id"),
                            {"id": query.campaign_id}).scalar()
    if currency is None:
        return None
    rows = conn.execute(
        text(f"SELECT day, {', '.join(_COUNTERS)}, revenue FROM campaign_daily_stats "
             "WHERE campaign_id = :campaign_id AND day >= :first AND day <= :last"),
        {"campaign_id": query.campaign_id, "first": query.first_day,
         "last": query.last_day}).all()
    return {"campaign_id": query.campaign_id, "currency": currency,
            **_series(rows, query.first_day, query.last_day, currency)}


def partner_stats(conn: Connection, query: queries.PartnerStats) -> dict:
    rows = conn.execute(
        text(f"SELECT s.campaign_id, c.currency, s.day, "
             f"{', '.join('s.' + c for c in _COUNTERS)}, s.revenue "
             "FROM partner_daily_stats s JOIN campaigns c ON c.id = s.campaign_id "
             "WHERE s.partner_id = :partner_id AND s.day >= :first AND s.day <= :last "
             "ORDER BY s.campaign_id"),
        {"partner_id": query.partner_id, "first": query.first_day,
         "last": query.last_day}).all()
    by_campaign: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        by_campaign[(row.campaign_id, row.currency)].append(row)
    return {"partner_id": query.partner_id, "campaigns": [
        {"campaign_id": campaign_id, "currency": currency,
         **_series(campaign_rows, query.first_day, query.last_day, currency)}
        for (campaign_id, currency), campaign_rows in by_campaign.items()]}


def _series(rows, first_day: date, last_day: date, currency: str) -> dict[str, Any]:
    """One entry per day of the range (days without traffic count zero), and totals."""
    by_day = {_day(row.day): row for row in rows}
    days, totals = [], {name: 0 for name in _COUNTERS}
    revenue_total = Decimal(0)
    day = first_day
    while day <= last_day:
        row = by_day.get(day)
        counts = {name: getattr(row, name) if row else 0 for name in _COUNTERS}
        revenue = decimal(row.revenue) if row else Decimal(0)
        days.append({"day": day.isoformat(), **counts, **_money_and_rate(counts, revenue,
                                                                         currency)})
        for name in _COUNTERS:
            totals[name] += counts[name]
        revenue_total += revenue
        day += timedelta(days=1)
    return {"from": first_day.isoformat(), "to": last_day.isoformat(), "days": days,
            "totals": {**totals, **_money_and_rate(totals, revenue_total, currency)}}


def _money_and_rate(counts: dict, revenue: Decimal, currency: str) -> dict:
    """``conversion_rate``: attributed conversions per valid click, a decimal string
    with 4 places (None without valid clicks)."""
    rate = None
    if counts["valid_clicks"]:
        rate = format((Decimal(counts["conversions"]) / counts["valid_clicks"])
                      .quantize(RATE_PLACES), "f")
    return {"revenue": money_dict(revenue, currency), "conversion_rate": rate}


# --- value helpers (text() hands back raw driver values: strings on SQLite) -------------
def _naive(value: datetime) -> datetime:
    return as_utc(value).replace(tzinfo=None)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
