"""The fake world (``fakes``) told to the BFF's read model the way the real services tell
it: their events, published on their exchanges -- snapshots of the partners, brands,
campaigns and enrollments, a ``stats_changed`` and a ``balances_changed`` batch."""
from __future__ import annotations

from datetime import UTC, datetime

from common.contracts import campaigns, commissions, partners, tracking
from tests.integration.bff import fakes
from tests.support import publish_event, wait_for

AT = "2026-11-29T12:00:00Z"
OWNERS = ((fakes.PARTNER_A, fakes.BRAND_A, fakes.CAMPAIGN_A, fakes.ENROLLMENT_A),
          (fakes.PARTNER_B, fakes.BRAND_B, fakes.CAMPAIGN_B, fakes.ENROLLMENT_B))


def campaign_snapshot(campaign_id: str) -> dict:
    campaign = fakes.CAMPAIGNS[campaign_id]
    return {**{key: campaign[key] for key in (
        "campaign_id", "brand_id", "name", "currency", "status", "budget", "landing_url",
        "eligibility", "revision")}, "starts_at": None, "ends_at": None,
        "terms": fakes.TERMS}


def tell(config: dict) -> None:
    """Every fact of the fake world the dashboards show, as events."""
    today = datetime.now(UTC).date().isoformat()
    stats_rows, ledgers, budgets = [], [], []
    for partner_id, brand_id, campaign_id, enrollment_id in OWNERS:
        partner = fakes.PARTNERS[partner_id]
        publish_event(config, partners.PARTNER_ACTIVATED, {
            **partner, "payout_method": None, "registered_at": AT})
        brand = fakes.BRANDS[brand_id]
        publish_event(config, campaigns.BRAND_REGISTERED, {**brand, "registered_at": AT})
        publish_event(config, campaigns.CAMPAIGN_ACTIVATED,
                      {"campaign": campaign_snapshot(campaign_id)})
        publish_event(config, campaigns.PARTNER_ENROLLED, {
            **fakes.ENROLLMENTS[enrollment_id], "enrolled_at": AT, "revision": 1,
            "campaign": campaign_snapshot(campaign_id), "terms_history": [fakes.TERMS]})
        stats_rows.append({"partner_id": partner_id, "campaign_id": campaign_id,
                           "brand_id": brand_id, "day": today, "clicks": 3,
                           "valid_clicks": 2, "conversions": 1, "rejected_conversions": 0,
                           "revenue": fakes.usd("200.00"), "revision": 2})
        ledgers.append({"partner_id": partner_id, "currency": "USD", "pending": "20.00",
                        "approved": "0.00", "in_payout": "0.00", "paid": "0.00",
                        "adjustments": "0.00", "revision": 1, "updated_at": AT})
        budgets.append({"campaign_id": campaign_id, "brand_id": brand_id,
                        "total": fakes.usd("1000.00"), "reserved": fakes.usd("20.00"),
                        "exhausted": False, "pending_count": 1,
                        "pending_amount": fakes.usd("20.00"), "revision": 2,
                        "updated_at": AT})
    publish_event(config, tracking.STATS_CHANGED, {"rows": stats_rows})
    publish_event(config, commissions.BALANCES_CHANGED, {"ledgers": ledgers, "budgets": budgets})


def told(api) -> None:
    """``tell``, then wait until both dashboards show all of it."""
    tell(api.config)

    def complete() -> bool:
        partner = api.get("/api/v1/partner/dashboard", api.partner(fakes.PARTNER_B)).json()
        brand = api.get(f"/api/v1/brands/{fakes.BRAND_B}/dashboard",
                        api.brand(fakes.BRAND_B)).json()
        return (bool(partner.get("enrollments")) and bool(partner["balance"]["balances"])
                and bool(partner["stats"]["campaigns"]) and bool(brand.get("campaigns"))
                and brand["pending_commissions"]["count"] == 1)

    wait_for(complete, timeout=15, message="the read model to hold the fake world")
