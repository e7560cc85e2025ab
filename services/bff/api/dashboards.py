"""Dashboards: one request, every service asked at once (see ``fanout``).

A part whose service does not answer in time is ``null`` and named in ``unavailable``;
the page still renders. The profile (partner) and the brand and its campaigns (brand)
are required: without them there is no page.
"""
from __future__ import annotations

from services.bff import charts, ownership, partner_ips
from services.bff.api.campaigns import budget_of
from services.bff.api.tracking import days
from services.bff.auth import ADMIN, BRAND, PARTNER
from services.bff.fanout import Fanout
from services.bff.routing import route
from services.bff.schemas.dashboards import BrandDashboardOut, PartnerDashboardOut

TAG = "dashboards"
DASHBOARD_ROWS = 50
PENDING_ROWS = 20


@route("GET", "/api/v1/partner/dashboard", roles=(PARTNER,), response=PartnerDashboardOut,
       tag=TAG, summary="Profile, links with their stats, 30-day stats, balance and the "
               "daily chart (clicks, conversions, earnings)")
def partner_dashboard(call):
    partner_id = call.principal.subject
    partner_ips.report(call, partner_id)
    rpc, calls = call.rpc, Fanout()
    calls.start("profile", rpc.partners.get_partner.call_async, partner_id)
    calls.start("enrollments", rpc.campaigns.list_enrollments.call_async,
                {"partner_id": partner_id, "page_size": DASHBOARD_ROWS})
    calls.start("stats", rpc.tracking.partner_stats.call_async,
                {"partner_id": partner_id, **days({}, call.settings)})
    calls.start("balance", rpc.commissions.get_balance.call_async, partner_id)
    calls.start("earnings", rpc.commissions.list_commissions.call_async,
                {"partner_id": partner_id, "page_size": charts.EARNINGS_ROWS})
    profile = calls.result("profile")
    enrollments, stats = calls.optional("enrollments"), calls.optional("stats", missing_ok=True)
    return {"profile": profile, "enrollments": _with_stats(enrollments, stats),
            "stats": stats, "balance": calls.optional("balance", missing_ok=True),
            "chart": charts.partner_chart(days({}, call.settings), stats,
                                          calls.optional("earnings", missing_ok=True)),
            "unavailable": calls.unavailable}


def _with_stats(enrollments: dict | None, stats: dict | None) -> list[dict] | None:
    if enrollments is None:
        return None
    totals = {entry["campaign_id"]: entry["totals"] for entry in (stats or {}).get(
        "campaigns", [])}
    return [{**item, "stats": totals.get(item["campaign_id"])}
            for item in enrollments["items"]]


@route("GET", "/api/v1/brands/<brand_id>/dashboard", roles=(ADMIN, BRAND),
       response=BrandDashboardOut, tag=TAG,
       summary="Campaigns with budget use and 30-day stats, pending commissions")
def brand_dashboard(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    rpc, first = call.rpc, Fanout()
    first.start("brand", rpc.campaigns.get_brand.call_async, brand_id)
    first.start("campaigns", rpc.campaigns.list_campaigns.call_async,
                {"brand_id": brand_id, "page_size": DASHBOARD_ROWS})
    first.start("pending_commissions", rpc.commissions.list_commissions.call_async,
                {"brand_id": brand_id, "status": "PENDING", "page_size": PENDING_ROWS})
    brand, campaigns = first.result("brand"), first.result("campaigns")
    second = Fanout()
    window = days({}, call.settings)
    for campaign in campaigns["items"]:
        campaign_id = campaign["campaign_id"]
        second.start(f"budget:{campaign_id}", rpc.commissions.get_campaign_budget.call_async,
                     campaign_id)
        second.start(f"stats:{campaign_id}", rpc.tracking.campaign_stats.call_async,
                     {"campaign_id": campaign_id, **window})
    summaries = [{"campaign": campaign,
                  "budget": budget_of(campaign, second.optional(
                      f"budget:{campaign['campaign_id']}", True)),
                  "stats": second.optional(f"stats:{campaign['campaign_id']}", True)}
                 for campaign in campaigns["items"]]
    pending = first.optional("pending_commissions")
    unavailable = sorted({name.split(":")[0] for name in first.unavailable + second.unavailable})
    return {"brand": brand, "campaigns": summaries, "campaigns_total": campaigns["total"],
            "pending_commissions": pending, "unavailable": unavailable}
