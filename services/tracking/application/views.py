"""Read side: SQLAlchemy Core over the tracking tables straight to DTOs, skipping the
domain (conversions, the daily stats read model, referral links for the BFF's edge).
The column types normalise the values on both backends; the statements are built once."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import Listing, equal_to, money_dict, time_text
from services.tracking.application import queries
from services.tracking.infrastructure.revenue import joined
from services.tracking.infrastructure.tables import (
    campaign_daily_stats,
    campaigns,
    conversion_refunds,
    conversions,
    enrollments,
    partner_daily_stats,
)

RATE_PLACES = Decimal("0.0001")
_COUNTERS = ("clicks", "valid_clicks", "conversions", "rejected_conversions")

# --- conversions --------------------------------------------------------------------------
_CONVERSION_COLUMNS = [conversions.c[name] for name in (
    "id", "brand_id", "order_id", "amount", "currency", "status", "reason", "partner_id",
    "campaign_id", "enrollment_id", "referral_code", "click_id", "terms_version",
    "customer_ip", "customer_id", "attribution", "occurred_at", "recorded_at",
    "reversed_amount")]
_CONVERSION = select(*_CONVERSION_COLUMNS).where(conversions.c.id == bindparam("id"))
_CONVERSIONS = Listing(
    *_CONVERSION_COLUMNS, order_by=(conversions.c.occurred_at.desc(), conversions.c.id),
    filters={**equal_to(conversions.c.partner_id, conversions.c.campaign_id,
                        conversions.c.brand_id, conversions.c.status),
             "start": conversions.c.occurred_at >= bindparam("start"),
             "end": conversions.c.occurred_at < bindparam("end")})
_REFUNDS = (select(conversion_refunds.c.conversion_id, conversion_refunds.c.refund_id,
                   conversion_refunds.c.amount, conversion_refunds.c.recorded_at)
            .where(conversion_refunds.c.conversion_id.in_(bindparam("ids", expanding=True)))
            .order_by(conversion_refunds.c.recorded_at, conversion_refunds.c.refund_id))


def conversion(conn: Connection, conversion_id: str) -> dict | None:
    row = conn.execute(_CONVERSION, {"id": conversion_id}).first()
    if row is None:
        return None
    refunds = _refunds(conn, [row] if row.reversed_amount != 0 else [])
    return _conversion_dto(row, refunds.get(row.id, []))


def conversions_page(conn: Connection, query: queries.ListConversions) -> dict:
    def items(rows) -> list[dict]:
        refunds = _refunds(conn, rows)
        return [_conversion_dto(row, refunds.get(row.id, [])) for row in rows]

    return _CONVERSIONS.page(
        conn, page=query.page, page_size=query.page_size, items=items,
        partner_id=query.partner_id, campaign_id=query.campaign_id,
        brand_id=query.brand_id, status=query.status, start=query.start, end=query.end)


def _refunds(conn: Connection, rows) -> dict[str, list[dict]]:
    """The refunds of these conversions, oldest first, in each conversion's currency."""
    found: dict[str, list[dict]] = defaultdict(list)
    currencies = {row.id: row.currency for row in rows}
    if not currencies:
        return found
    for refund in conn.execute(_REFUNDS, {"ids": list(currencies)}).all():
        found[refund.conversion_id].append({
            "refund_id": refund.refund_id,
            "amount": money_dict(refund.amount, currencies[refund.conversion_id]),
            "recorded_at": time_text(refund.recorded_at)})
    return found


def _conversion_dto(row, refunds: list[dict]) -> dict:
    return {
        "conversion_id": row.id, "brand_id": row.brand_id, "order_id": row.order_id,
        "amount": money_dict(row.amount, row.currency), "status": row.status,
        "reason": row.reason, "partner_id": row.partner_id, "campaign_id": row.campaign_id,
        "enrollment_id": row.enrollment_id, "referral_code": row.referral_code,
        "click_id": row.click_id, "terms_version": row.terms_version,
        "customer_ip": row.customer_ip, "customer_id": row.customer_id,
        "attribution": row.attribution, "occurred_at": time_text(row.occurred_at),
        "recorded_at": time_text(row.recorded_at),
        "reversed": money_dict(row.reversed_amount, row.currency),
        "fully_reversed": row.reversed_amount == row.amount,
        "refunds": refunds,
    }


# --- stats --------------------------------------------------------------------------------
_CAMPAIGN_CURRENCY = select(campaigns.c.currency).where(campaigns.c.id == bindparam("id"))
_CAMPAIGN_DAYS = (
    select(campaign_daily_stats.c.day,
           *(campaign_daily_stats.c[name] for name in _COUNTERS),
           campaign_daily_stats.c.revenue_units, campaign_daily_stats.c.revenue_parts)
    .where(campaign_daily_stats.c.campaign_id == bindparam("campaign_id"),
           campaign_daily_stats.c.day >= bindparam("first"),
           campaign_daily_stats.c.day <= bindparam("last")))
_PARTNER_DAYS = (
    select(partner_daily_stats.c.campaign_id, campaigns.c.currency, partner_daily_stats.c.day,
           *(partner_daily_stats.c[name] for name in _COUNTERS),
           partner_daily_stats.c.revenue_units, partner_daily_stats.c.revenue_parts)
    .join_from(partner_daily_stats, campaigns,
               campaigns.c.id == partner_daily_stats.c.campaign_id)
    .where(partner_daily_stats.c.partner_id == bindparam("partner_id"),
           partner_daily_stats.c.day >= bindparam("first"),
           partner_daily_stats.c.day <= bindparam("last"))
    .order_by(partner_daily_stats.c.campaign_id))


def campaign_stats(conn: Connection, query: queries.CampaignStats) -> dict | None:
    currency = conn.execute(_CAMPAIGN_CURRENCY, {"id": query.campaign_id}).scalar()
    if currency is None:
        return None
    rows = conn.execute(_CAMPAIGN_DAYS, {"campaign_id": query.campaign_id,
                                         "first": query.first_day,
                                         "last": query.last_day}).all()
    return {"campaign_id": query.campaign_id, "currency": currency,
            **_series(rows, query.first_day, query.last_day, currency)}


def partner_stats(conn: Connection, query: queries.PartnerStats) -> dict:
    rows = conn.execute(_PARTNER_DAYS, {"partner_id": query.partner_id,
                                        "first": query.first_day,
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
    by_day = {row.day: row for row in rows}
    days, totals = [], {name: 0 for name in _COUNTERS}
    revenue_total = Decimal(0)
    day = first_day
    while day <= last_day:
        row = by_day.get(day)
        counts = {name: getattr(row, name) if row else 0 for name in _COUNTERS}
        revenue = joined(row.revenue_units, row.revenue_parts) if row else Decimal(0)
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


# --- referral links: what the BFF's edge needs to redirect without asking again ---------------
_LINKS = (
    select(enrollments.c.referral_code, enrollments.c.id.label("enrollment_id"),
           enrollments.c.campaign_id, enrollments.c.status, enrollments.c.revision,
           campaigns.c.landing_url, campaigns.c.status.label("campaign_status"),
           campaigns.c.revision.label("campaign_revision"))
    .join(campaigns, campaigns.c.id == enrollments.c.campaign_id)
    .where(enrollments.c.referral_code.in_(bindparam("codes", expanding=True))))


def referral_links(conn: Connection, codes: list[str]) -> list[dict[str, Any]]:
    """The known codes among ``codes`` (one indexed look-up), each with its enrollment's
    and campaign's state and revisions; unknown codes are left out."""
    if not codes:
        return []
    return [{"referral_code": row.referral_code, "enrollment_id": row.enrollment_id,
             "campaign_id": row.campaign_id, "status": row.status, "revision": row.revision,
             "campaign": {"campaign_id": row.campaign_id, "landing_url": row.landing_url,
                          "status": row.campaign_status, "revision": row.campaign_revision}}
            for row in conn.execute(_LINKS, {"codes": codes})]
