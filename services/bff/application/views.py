"""The dashboards, read from the read model in one read transaction of a few indexed
SELECTs each (no RPC): SQLAlchemy Core over ``infrastructure/tables.py`` straight to the
answer's shape (the route sends it as it is).

Freshness: profiles, campaigns and enrollments are as their owners' latest events said
(milliseconds behind); stats, balances, budgets and earnings as the latest
``stats_changed`` / ``balances_changed`` batches said (each published every 2 s by
default: a few seconds behind).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Integer, String, bindparam, func, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import amount_text, time_text
from common.seedwork.domain.money import Money
from services.bff.application import queries
from services.bff.application.projection import BUCKETS, Counts
from services.bff.infrastructure.tables import (
    balances,
    brands,
    budgets,
    campaign_stats,
    campaigns,
    earnings,
    enrollment_states,
    enrollments,
    partner_profiles,
    partner_stats,
)

RATE_PLACES = Decimal("0.0001")
_ONE_DAY = timedelta(days=1)
_COUNTERS = ("clicks", "valid_clicks", "conversions", "rejected_conversions", "revenue")
_LIMIT = bindparam("limit", type_=Integer)

# the profile with its balances (one row per currency; none yet: one row of NULLs)
_PROFILE = (select(partner_profiles, balances.c.currency.label("balance_currency"),
                   *(balances.c[b].label(f"balance_{b}") for b in BUCKETS))
            .outerjoin(balances, (balances.c.partner_id == partner_profiles.c.partner_id)
                       & (balances.c.revision > 0))
            .where(partner_profiles.c.partner_id == bindparam("id"))
            .order_by(balances.c.currency))
_ENROLLMENTS = (select(enrollments.c.enrollment)
                .where(enrollments.c.partner_id == bindparam("id"))
                .order_by(enrollments.c.enrolled_at.desc(), enrollments.c.enrollment_id)
                .limit(_LIMIT))
_PARTNER_DAYS = (select(partner_stats.c.campaign_id, partner_stats.c.day,
                        partner_stats.c.currency,
                        *(partner_stats.c[name] for name in _COUNTERS))
                 .where(partner_stats.c.partner_id == bindparam("id"),
                        partner_stats.c.day >= bindparam("first"),
                        partner_stats.c.day <= bindparam("last"),
                        partner_stats.c.revision > 0))
_EARNINGS = (select(earnings.c.day, earnings.c.currency, earnings.c.amount)
             .where(earnings.c.partner_id == bindparam("id"),
                    earnings.c.day >= bindparam("first"), earnings.c.day <= bindparam("last")))

_BRAND = select(brands.c.brand).where(brands.c.brand_id == bindparam("id"))
_CAMPAIGNS = (select(campaigns.c.campaign_id, campaigns.c.campaign)
              .where(campaigns.c.brand_id == bindparam("id"))
              .order_by(campaigns.c.created_at.desc(), campaigns.c.campaign_id)
              .limit(_LIMIT))
_CAMPAIGNS_TOTAL = select(func.count()).select_from(campaigns).where(
    campaigns.c.brand_id == bindparam("id"))
_BUDGETS = select(budgets).where(budgets.c.brand_id == bindparam("id"))
_APPLICATIONS = (select(enrollment_states.c.campaign_id, func.count().label("waiting"))
                 .where(enrollment_states.c.brand_id == bindparam("id"),
                        enrollment_states.c.status == "PENDING")
                 .group_by(enrollment_states.c.campaign_id))
# the brand's partners ranked by the window's conversions, then clicks (integers: SQL sums
# them), then their revenue summed here (decimal text on SQLite: never summed by SQL)
_OF_BRAND_IN_WINDOW = (campaigns.c.brand_id == bindparam("id"),
                       partner_stats.c.day >= bindparam("first"),
                       partner_stats.c.day <= bindparam("last"), partner_stats.c.revision > 0)
_JOINED = partner_stats.join(campaigns, campaigns.c.campaign_id == partner_stats.c.campaign_id)
_CONVERSIONS = func.sum(partner_stats.c.conversions)
_CLICKS = func.sum(partner_stats.c.clicks)
_TOP_PARTNERS = (select(partner_stats.c.partner_id, partner_profiles.c.name,
                        _CONVERSIONS.label("conversions"), _CLICKS.label("clicks"))
                 .select_from(_JOINED.outerjoin(
                     partner_profiles, partner_profiles.c.partner_id == partner_stats.c.partner_id))
                 .where(*_OF_BRAND_IN_WINDOW)
                 .group_by(partner_stats.c.partner_id, partner_profiles.c.name)
                 .order_by(_CONVERSIONS.desc(), _CLICKS.desc(), partner_stats.c.partner_id)
                 .limit(_LIMIT))
_TOP_REVENUE = (select(partner_stats.c.partner_id, partner_stats.c.currency,
                       partner_stats.c.revenue)
                .select_from(_JOINED)
                .where(*_OF_BRAND_IN_WINDOW,
                       partner_stats.c.partner_id.in_(bindparam("partners", expanding=True))))
# a brand's partners' figures over a period, a row per partner and currency (its
# campaigns' currencies), ranked as above; the page's revenues summed here
_CAMPAIGN_OR_ANY = bindparam("campaign", type_=String)
_IN_PERIOD = (*_OF_BRAND_IN_WINDOW,
              _CAMPAIGN_OR_ANY.is_(None) | (partner_stats.c.campaign_id == _CAMPAIGN_OR_ANY))
_PERFORMANCE_KEYS = (partner_stats.c.partner_id, partner_stats.c.currency)
_PERFORMANCE = (select(*_PERFORMANCE_KEYS, partner_profiles.c.name)
                .select_from(_JOINED.outerjoin(
                    partner_profiles, partner_profiles.c.partner_id == partner_stats.c.partner_id))
                .where(*_IN_PERIOD)
                .group_by(*_PERFORMANCE_KEYS, partner_profiles.c.name)
                .order_by(_CONVERSIONS.desc(), _CLICKS.desc(), *_PERFORMANCE_KEYS))
_PERFORMANCE_PAGE = _PERFORMANCE.limit(_LIMIT).offset(bindparam("offset", type_=Integer))
_PERFORMANCE_TOTAL = select(func.count()).select_from(
    select(*_PERFORMANCE_KEYS).select_from(_JOINED).where(*_IN_PERIOD)
    .group_by(*_PERFORMANCE_KEYS).subquery())
_PERFORMANCE_DAYS = (select(*_PERFORMANCE_KEYS, *(partner_stats.c[name] for name in _COUNTERS))
                     .select_from(_JOINED)
                     .where(*_IN_PERIOD,
                            partner_stats.c.partner_id.in_(bindparam("partners",
                                                                     expanding=True))))
_CAMPAIGN_DAYS = (select(campaign_stats.c.campaign_id, campaign_stats.c.currency,
                         *(campaign_stats.c[name] for name in _COUNTERS))
                  .where(campaign_stats.c.campaign_id.in_(bindparam("ids", expanding=True)),
                         campaign_stats.c.day >= bindparam("first"),
                         campaign_stats.c.day <= bindparam("last")))


# --- partner ------------------------------------------------------------------------------
def partner_dashboard(conn: Connection, query: queries.PartnerDashboard) -> dict | None:
    """None: the partner is not known here (yet). Four SELECTs: the profile with its
    balances, the links, the window's stats rows, the window's earnings."""
    profile = conn.execute(_PROFILE, {"id": query.partner_id}).all()
    if not profile:
        return None
    window = {"id": query.partner_id, "first": query.first_day, "last": query.last_day}
    links = conn.execute(_ENROLLMENTS, {"id": query.partner_id,
                                        "limit": query.enrollments}).scalars().all()
    days = conn.execute(_PARTNER_DAYS, window).all()
    earned = conn.execute(_EARNINGS, window).all()

    span = {"from": query.first_day.isoformat(), "to": query.last_day.isoformat()}
    sums: dict[str, list] = {}
    for row in days:  # per campaign: clicks, valid clicks, conversions, rejected, revenue
        found = sums.get(row.campaign_id)
        if found is None:
            sums[row.campaign_id] = [row.clicks, row.valid_clicks, row.conversions,
                                     row.rejected_conversions, row.revenue, row.currency]
        else:
            found[0] += row.clicks
            found[1] += row.valid_clicks
            found[2] += row.conversions
            found[3] += row.rejected_conversions
            found[4] += row.revenue
    stats = {campaign_id: _totals(Counts(*figures[:5]), figures[5])
             for campaign_id, figures in sorted(sums.items())}
    return {
        "profile": profile_dto(profile[0]),
        "enrollments": [{**link, "stats": stats.get(link["campaign_id"])} for link in links],
        "stats": {"partner_id": query.partner_id, **span, "campaigns": [
            {"campaign_id": campaign_id, "currency": sums[campaign_id][5], **span,
             "totals": figures} for campaign_id, figures in stats.items()]},
        "balance": {"partner_id": query.partner_id,
                    "balances": [_balance_dto(row) for row in profile
                                 if row.balance_currency is not None]},
        "chart": _chart(query.first_day, query.last_day, days, earned),
        "unavailable": [],
    }


_NAMES = select(partner_profiles.c.partner_id, partner_profiles.c.name).where(
    partner_profiles.c.partner_id.in_(bindparam("ids", expanding=True)))


def partner_names(conn: Connection, partner_ids) -> dict[str, str]:
    """Partner id -> name, for those the read model holds."""
    return dict(conn.execute(_NAMES, {"ids": list(partner_ids)}).all())


def profile_dto(row) -> dict:
    return {"partner_id": row.partner_id, "name": row.name, "email": row.email,
            "type": row.type, "country": row.country, "status": row.status,
            "kyc_status": row.kyc_status, "payout_method": row.payout_method,
            "suspension_reason": row.suspension_reason,
            "registered_at": time_text(row.registered_at),
            "updated_at": time_text(row.updated_at), "revision": row.revision}


def _balance_dto(row) -> dict:
    currency = row.balance_currency
    amounts = {bucket: getattr(row, f"balance_{bucket}") for bucket in BUCKETS}
    return {"currency": currency,
            **{bucket: amount_text(value, currency) for bucket, value in amounts.items()},
            "payable": amount_text(amounts["approved"] + amounts["adjustments"], currency)}


def _chart(first: date, last: date, days, earned) -> dict:
    """Every day of the window: clicks and conversions over the partner's campaigns,
    earnings per currency (what its ledgers grew by that day)."""
    traffic: dict[date, list] = {}
    for row in days:
        found = traffic.get(row.day)
        if found is None:
            traffic[row.day] = [row.clicks, row.conversions]
        else:
            found[0] += row.clicks
            found[1] += row.conversions
    money: dict[date, list] = defaultdict(list)
    for row in sorted(earned, key=lambda row: row.currency):
        money[row.day].append(Money(row.amount, row.currency).to_dict())
    chart = []
    day = first
    while day <= last:
        clicks, conversions = traffic.get(day, (0, 0))
        chart.append({"day": day.isoformat(), "clicks": clicks, "conversions": conversions,
                      "earnings": money.get(day, [])})
        day += _ONE_DAY
    return {"from": first.isoformat(), "to": last.isoformat(),
            "currencies": sorted({row.currency for row in earned}), "complete": True,
            "days": chart}


# --- brand --------------------------------------------------------------------------------
def brand_dashboard(conn: Connection, query: queries.BrandDashboard) -> dict | None:
    """None: the brand is not known here (yet)."""
    brand = conn.execute(_BRAND, {"id": query.brand_id}).scalar()
    if brand is None:
        return None
    listed = conn.execute(_CAMPAIGNS, {"id": query.brand_id, "limit": query.campaigns}).all()
    total = conn.execute(_CAMPAIGNS_TOTAL, {"id": query.brand_id}).scalar()
    held = {row.campaign_id: row for row in conn.execute(_BUDGETS, {"id": query.brand_id})}
    waiting = dict(conn.execute(_APPLICATIONS, {"id": query.brand_id}).all())
    ids = [row.campaign_id for row in listed]
    days = conn.execute(_CAMPAIGN_DAYS, {"ids": ids, "first": query.first_day,
                                         "last": query.last_day}).all() if ids else []
    totals: dict[str, Counts] = defaultdict(Counts)
    for row in days:
        totals[row.campaign_id] += _counts(row)

    span = {"from": query.first_day.isoformat(), "to": query.last_day.isoformat()}
    summaries = []
    for row in listed:
        campaign, budget = row.campaign, held.get(row.campaign_id)
        currency = campaign["currency"]
        summaries.append({
            "campaign": campaign,
            "budget": _budget_dto(campaign, budget),
            "stats": {"campaign_id": row.campaign_id, "currency": currency, **span,
                      "totals": _totals(totals[row.campaign_id], currency)},
            "pending_commissions": {
                "count": budget.pending_count if budget else 0,
                "amount": Money(budget.pending_amount if budget else 0, currency).to_dict()},
            "pending_applications": waiting.get(row.campaign_id, 0),
        })
    pending: dict[str, Decimal] = defaultdict(Decimal)
    for budget in held.values():
        if budget.pending_count:
            pending[budget.currency] += budget.pending_amount
    return {
        "brand": brand, "campaigns": summaries, "campaigns_total": total,
        "top_partners": _top_partners(conn, query),
        "pending_commissions": {
            "count": sum(budget.pending_count for budget in held.values()),
            "amounts": [Money(amount, currency).to_dict()
                        for currency, amount in sorted(pending.items())]},
        "pending_applications": sum(waiting.values()),
        "unavailable": [],
    }


def _top_partners(conn: Connection, query: queries.BrandDashboard) -> list[dict]:
    """The brand's ``top_partners`` partners of the window, by conversions then clicks,
    each with its revenue per currency (its campaigns'; one, the brand's, in practice)."""
    window = {"id": query.brand_id, "first": query.first_day, "last": query.last_day}
    ranked = conn.execute(_TOP_PARTNERS, {**window, "limit": query.top_partners}).all()
    if not ranked:
        return []
    revenue: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in conn.execute(_TOP_REVENUE, {**window, "partners": [r.partner_id for r in ranked]}):
        revenue[row.partner_id][row.currency] += row.revenue
    return [{"partner_id": row.partner_id, "name": row.name,
             "conversions": row.conversions, "clicks": row.clicks,
             "revenue": [Money(amount, currency).to_dict()
                         for currency, amount in sorted(revenue[row.partner_id].items())]}
            for row in ranked]


def partner_performance(conn: Connection, query: queries.PartnerPerformance) -> dict:
    """The brand's partners over the period: each partner's figures per currency (clicks,
    valid clicks, conversions, rejected ones, revenue, conversion rate), ranked by
    conversions then clicks; three SELECTs (the page, its count, its rows' days)."""
    period = {"id": query.brand_id, "first": query.first_day, "last": query.last_day,
              "campaign": query.campaign_id}
    if query.page_size is None:
        ranked = conn.execute(_PERFORMANCE, period).all()
        total = len(ranked)
    else:
        ranked = conn.execute(_PERFORMANCE_PAGE, {
            **period, "limit": query.page_size,
            "offset": (query.page - 1) * query.page_size}).all()
        total = conn.execute(_PERFORMANCE_TOTAL, period).scalar_one()
    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    if ranked:
        for row in conn.execute(_PERFORMANCE_DAYS, {
                **period, "partners": sorted({r.partner_id for r in ranked})}):
            counts[(row.partner_id, row.currency)] += _counts(row)
    items = [{"partner_id": row.partner_id, "name": row.name, "currency": row.currency,
              **_totals(counts[(row.partner_id, row.currency)], row.currency)}
             for row in ranked]
    return {"items": items, "page": query.page, "page_size": query.page_size or total,
            "total": total}


def _budget_dto(campaign: dict, budget) -> dict:
    """Commissions' figures; before commissions has said anything of the campaign
    (nothing owed yet), the brand's total with nothing reserved."""
    if budget is None:
        total = campaign["budget"]
        return {"campaign_id": campaign["campaign_id"], "total": total,
                "reserved": Money.zero(total["currency"]).to_dict(), "remaining": total,
                "exhausted": False}
    total, reserved = Money(budget.total, budget.currency), Money(budget.reserved, budget.currency)
    return {"campaign_id": budget.campaign_id, "total": total.to_dict(),
            "reserved": reserved.to_dict(), "remaining": (total - reserved).to_dict(),
            "exhausted": budget.exhausted}


# --- shared -------------------------------------------------------------------------------
def _counts(row) -> Counts:
    return Counts(*(getattr(row, name) for name in _COUNTERS))


def _totals(counts: Counts, currency: str) -> dict:
    """The window's figures of one campaign: counters, revenue, and the conversion rate
    (attributed conversions per valid click, 4 places; None without valid clicks)."""
    rate = None
    if counts.valid_clicks:
        rate = format((Decimal(counts.conversions) / counts.valid_clicks).quantize(RATE_PLACES),
                      "f")
    return {"clicks": counts.clicks, "valid_clicks": counts.valid_clicks,
            "conversions": counts.conversions,
            "rejected_conversions": counts.rejected_conversions,
            "revenue": Money(counts.revenue, currency).to_dict(), "conversion_rate": rate}
