"""Dashboards: one read of the BFF's read model, no RPC (services/bff/read_model.py).

The read model is kept by events: profiles, campaigns and enrollments as their owners
last said; stats, balances, budgets and earnings as tracking's ``stats_changed`` and
commissions' ``balances_changed`` batches said (each every 2 s by default: the
dashboards' figures are that many seconds behind, at most, plus delivery). A partner or
brand the read model has not heard of yet (the event of a sign-up still on its way) gets
its owner's answer and an empty dashboard. When the read model's database does not
answer, the route answers 503.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.bff import ownership, partner_ips
from services.bff.application import queries
from services.bff.auth import ADMIN, BRAND, PARTNER
from services.bff.routing import route
from services.bff.schemas.dashboards import BrandDashboardOut, PartnerDashboardOut

TAG = "dashboards"
DASHBOARD_ROWS = 50


def window(settings) -> tuple[date, date]:
    """The last ``dashboard_stats_days`` UTC days, today included."""
    last = datetime.now(UTC).date()
    return last - timedelta(days=settings.dashboard_stats_days - 1), last


@route("GET", "/api/v1/partner/dashboard", roles=(PARTNER,), response=PartnerDashboardOut,
       dumped=True, tag=TAG,
       summary="Profile, links with their stats, 30-day stats, balance and the daily chart "
               "(clicks, conversions, earnings), from the BFF's read model")
def partner_dashboard(call):
    partner_id = call.principal.subject
    partner_ips.report(call, partner_id)
    first, last = window(call.settings)
    board = call.bus.query(queries.PartnerDashboard(
        partner_id=partner_id, first_day=first, last_day=last, enrollments=DASHBOARD_ROWS))
    return board or _first_partner_board(call, partner_id, first, last)


def _first_partner_board(call, partner_id: str, first: date, last: date) -> dict:
    """A partner the read model has not heard of yet: its profile from partners (404 if
    there is none), nothing else to show yet."""
    span = {"from": first.isoformat(), "to": last.isoformat()}
    days = [{"day": (first + timedelta(days=n)).isoformat(), "clicks": 0, "conversions": 0,
             "earnings": []} for n in range((last - first).days + 1)]
    return {"profile": call.rpc.partners.get_partner(partner_id),
            "enrollments": [], "stats": {"partner_id": partner_id, **span, "campaigns": []},
            "balance": {"partner_id": partner_id, "balances": []},
            "chart": {**span, "currencies": [], "complete": True, "days": days},
            "unavailable": []}


@route("GET", "/api/v1/brands/<brand_id>/dashboard", roles=(ADMIN, BRAND),
       response=BrandDashboardOut, dumped=True, tag=TAG,
       summary="Campaigns with budget use, 30-day stats, top partners, commissions to "
               "approve and applications to review, from the BFF's read model")
def brand_dashboard(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    first, last = window(call.settings)
    board = call.bus.query(queries.BrandDashboard(
        brand_id=brand_id, first_day=first, last_day=last, campaigns=DASHBOARD_ROWS))
    if board is None:  # not heard of yet: campaigns says whether it exists (404 if not)
        board = {"brand": call.rpc.campaigns.get_brand(brand_id), "campaigns": [],
                 "campaigns_total": 0, "top_partners": [],
                 "pending_commissions": {"count": 0, "amounts": []},
                 "pending_applications": 0, "unavailable": []}
    return board
