"""One valid example payload per event contract (current version).

They are documentation (docs/events.md shows each) and test data: a unit test checks
each against its contract, and the poison-message test sends each, after the poison,
to prove a consumer still processes a good event. Ids are fixed so the examples read
the same in the docs every time.
"""
from __future__ import annotations

import copy
from typing import Any

from common.contracts.base import EventContract

PARTNER_ID = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
BRAND_ID = "0b9f8e34-52c1-4f7a-8d0e-3a6c9d2b4e02"
CAMPAIGN_ID = "3c7d1e90-8b2a-4c55-b1f3-7e9a0d4c6b03"
ENROLLMENT_ID = "9a4e2b17-6c3d-4f08-a2e5-1b7c8d9e0f04"
CONVERSION_ID = "d2e8f4a6-1b3c-4d5e-8f7a-9b0c1d2e3f05"
CLICK_ID = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a806"
COMMISSION_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c07"
PAYOUT_ID = "b7c8d9e0-f1a2-4b3c-9d4e-5f6a7b8c9d08"
SOURCE_EVENT_ID = "c4d5e6f7-a8b9-4c0d-be1f-2a3b4c5d6e09"
BATCH_ID = "f0e1d2c3-b4a5-4968-8776-655443322110"
ENDPOINT_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a10"
ACCOUNT_ID = "1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b10"
API_KEY_ID = "2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c11"
SESSION_ID = "3f4e5d6c-7b8a-4f9e-8d1c-2b3a4f5e6d12"
AT = "2026-11-29T12:00:00Z"


def _money(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _terms(version: int = 1) -> dict[str, Any]:
    return {"version": version, "model": "CPS", "rate": "0.10", "min": None, "max": None,
            "amount": None, "daily_click_cap": None, "attribution_window_days": 30,
            "hold_days": 14, "effective_from": "2026-11-01T00:00:00Z"}


def _cpc_terms() -> dict[str, Any]:
    return {**_terms(), "model": "CPC", "rate": None, "amount": _money("0.25"),
            "daily_click_cap": 1000}


def _campaign(status: str = "ACTIVE", revision: int = 2) -> dict[str, Any]:
    return {"campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID, "name": "Spring sale",
            "currency": "USD", "status": status, "starts_at": None, "ends_at": None,
            "landing_url": "https://shop.example.com/spring", "budget": _money("1000.00"),
            "eligibility": {"partner_types": [], "countries": []}, "terms": _terms(),
            "revision": revision}


def _partner(status: str = "ACTIVE", revision: int = 3) -> dict[str, Any]:
    return {"partner_id": PARTNER_ID, "name": "Bea Lopez", "email": "bea@example.com",
            "type": "affiliate", "country": "ES", "status": status,
            "kyc_status": "VERIFIED" if status != "PENDING" else "NOT_VERIFIED",
            "payout_method": {"type": "paypal", "email": "bea@example.com"},
            "registered_at": AT, "revision": revision}


def _enrollment(status: str = "ACTIVE", revision: int = 1) -> dict[str, Any]:
    return {"enrollment_id": ENROLLMENT_ID, "campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID,
            "partner_id": PARTNER_ID, "referral_code": "bea-spring",
            "tracking_url": "http://localhost:8000/r/bea-spring", "status": status,
            "enrolled_at": AT, "revision": revision}


def _application(status: str, revision: int) -> dict[str, Any]:
    return {"enrollment_id": ENROLLMENT_ID, "campaign_id": CAMPAIGN_ID,
            "campaign_name": "Spring sale", "brand_id": BRAND_ID,
            "partner_id": PARTNER_ID, "status": status, "applied_at": AT,
            "revision": revision}


def _commission(status: str = "PENDING") -> dict[str, Any]:
    return {"commission_id": COMMISSION_ID, "partner_id": PARTNER_ID,
            "campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID, "conversion_id": CONVERSION_ID,
            "source_event_id": SOURCE_EVENT_ID, "amount": _money("20.00"), "status": status,
            "terms_version": 1, "hold_until": "2026-12-13T12:00:00Z", "occurred_at": AT}


def _payout() -> dict[str, Any]:
    return {"payout_id": PAYOUT_ID, "partner_id": PARTNER_ID, "cycle": "2026-12",
            "amount": _money("120.00"), "commission_ids": [COMMISSION_ID],
            "commission_brands": [{"commission_id": COMMISSION_ID, "brand_id": BRAND_ID}],
            "occurred_at": AT}


def _conversion() -> dict[str, Any]:
    return {"conversion_id": CONVERSION_ID, "brand_id": BRAND_ID, "campaign_id": CAMPAIGN_ID,
            "partner_id": PARTNER_ID, "order_id": "A-1001", "order_amount": _money("200.00"),
            "occurred_at": AT}


EXAMPLES: dict[str, dict[str, Any]] = {
    # partners
    "partners.partner_registered": _partner("PENDING", 1),
    "partners.partner_verified": _partner("PENDING", 2),
    "partners.partner_activated": _partner("ACTIVE", 3),
    "partners.partner_suspended": {**_partner("SUSPENDED", 4), "reason": "fraud review"},
    "partners.partner_reactivated": _partner("ACTIVE", 5),
    "partners.partner_payout_method_changed": _partner("ACTIVE", 6),
    # campaigns
    "campaigns.brand_registered": {"brand_id": BRAND_ID, "name": "Acme", "currency": "USD",
                                   "registered_at": AT},
    "campaigns.campaign_created": {"campaign": _campaign("DRAFT", 1)},
    "campaigns.campaign_activated": {"campaign": _campaign("ACTIVE", 2)},
    "campaigns.campaign_paused": {"campaign": _campaign("PAUSED", 3), "reason": "manual"},
    "campaigns.campaign_ended": {"campaign": _campaign("ENDED", 4)},
    "campaigns.campaign_cancelled": {"campaign": _campaign("CANCELLED", 3)},
    "campaigns.campaign_terms_changed": {
        "campaign": {**_campaign("ACTIVE", 3), "terms": _terms(2)}, "new_terms": _terms(2),
        "previous_version": 1},
    "campaigns.campaign_budget_changed": {
        "campaign": {**_campaign("ACTIVE", 3), "budget": _money("2000.00")},
        "previous_budget": _money("1000.00")},
    "campaigns.partner_enrolled": {**_enrollment(), "campaign": _campaign(),
                                   "terms_history": [_terms()]},
    "campaigns.enrollment_requested": {**_application("PENDING", 1),
                                       "note": "I review hiking gear for 40k readers."},
    "campaigns.enrollment_declined": {**_application("DECLINED", 2),
                                      "reason": "We work with EU partners only for now."},
    "campaigns.enrollment_withdrawn": _application("WITHDRAWN", 2),
    "campaigns.enrollment_suspended": {**_enrollment("SUSPENDED", 2),
                                       "reason": "brand_suspended",
                                       "campaign_name": "Spring sale",
                                       "note": "Coupon sites are not part of this program."},
    "campaigns.enrollment_reactivated": {**_enrollment("ACTIVE", 3),
                                         "reason": "brand_reactivated",
                                         "campaign_name": "Spring sale", "note": None},
    "campaigns.enrollment_commission_changed": {
        **_enrollment("ACTIVE", 4), "campaign_name": "Spring sale",
        "commission": {"model": "CPS", "rate": "0.15", "min": None, "max": _money("50.00"),
        "amount": None},
        "effective_from": "2026-11-20T09:00:00Z"},
    "campaigns.enrollment_code_changed": {
        **_enrollment("ACTIVE", 5), "referral_code": "bea10",
        "tracking_url": "http://localhost:8000/r/bea10", "campaign_name": "Spring sale",
        "previous_code": "bea-spring", "changed_by": "partner", "reason": None},
    "campaigns.budget_exhausted": {"campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID,
                                   "budget": _money("1000.00"), "reserved": _money("999.50"),
                                   "remaining": _money("0.50")},
    # tracking
    "tracking.conversion_attributed": {
        **_conversion(), "enrollment_id": ENROLLMENT_ID, "referral_code": "bea-spring",
        "click_id": CLICK_ID, "attribution": "click", "terms_version": 1, "terms": _terms()},
    "tracking.conversion_rejected": {**_conversion(), "reason": "too_fast"},
    "tracking.conversion_reversed": {
        **_conversion(), "refund_id": "R-1001-1", "reversed_amount": _money("50.00"),
        "total_reversed": _money("50.00"), "fully_reversed": False},
    "tracking.clicks_attributed": {
        "batch_id": BATCH_ID, "brand_id": BRAND_ID, "campaign_id": CAMPAIGN_ID,
        "partner_id": PARTNER_ID, "enrollment_id": ENROLLMENT_ID, "day": "2026-11-29",
        "valid_clicks": 12, "first_click_at": "2026-11-29T08:00:00Z", "last_click_at": AT,
        "terms_version": 1, "terms": _cpc_terms()},
    "tracking.stats_changed": {"rows": [
        {"partner_id": PARTNER_ID, "campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID,
         "day": "2026-11-29", "clicks": 41, "valid_clicks": 38, "conversions": 3,
         "rejected_conversions": 1, "revenue": _money("540.00"), "revision": 45}]},
    # commissions
    "commissions.commission_created": _commission(),
    "commissions.bonus_awarded": {
        "commission_id": COMMISSION_ID, "partner_id": PARTNER_ID, "brand_id": BRAND_ID,
        "campaign_id": CAMPAIGN_ID, "campaign_name": "Spring sale",
        "amount": _money("25.00"), "note": "Great launch video",
        "occurred_at": "2026-11-29T12:00:00Z"},
    "commissions.commission_rejected": {**_commission("REJECTED"), "reason": "budget_exhausted"},
    "commissions.commission_approved": _commission("APPROVED"),
    "commissions.commission_declined": {
        **_commission("DECLINED"), "amount": _money("0.00"), "reason": "order returned",
        "declined_amount": _money("20.00")},
    "commissions.commission_reversed": {
        **_commission("PENDING"), "amount": _money("15.00"),
        "reversed_amount": _money("5.00"), "clawback": False},
    "commissions.commission_paid": {**_commission("PAID"), "payout_id": PAYOUT_ID},
    "commissions.campaign_budget_exhausted": {
        "campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID, "budget": _money("1000.00"),
        "reserved": _money("999.50"), "remaining": _money("0.50")},
    "commissions.campaign_budget_available": {
        "campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID, "budget": _money("1500.00"),
        "reserved": _money("999.50"), "remaining": _money("500.50")},
    "commissions.balances_changed": {
        "ledgers": [{"partner_id": PARTNER_ID, "currency": "USD", "pending": "20.00",
                     "approved": "100.00", "in_payout": "0.00", "paid": "250.00",
                     "adjustments": "-5.00", "revision": 17, "updated_at": AT}],
        "budgets": [{"campaign_id": CAMPAIGN_ID, "brand_id": BRAND_ID,
                     "total": _money("1000.00"), "reserved": _money("375.00"),
                     "exhausted": False, "pending_count": 1,
                     "pending_amount": _money("20.00"), "revision": 9, "updated_at": AT}]},
    # payouts
    "payouts.payout_started": _payout(),
    "payouts.payout_paid": {**_payout(), "psp_reference": "psp_0001"},
    "payouts.payout_failed": {**_payout(), "reason": "account_closed"},
    "payouts.payout_compensation_failed": {**_payout(), "reason": "commissions unavailable"},
    # identity
    "identity.account_created": {
        "account_id": ACCOUNT_ID, "email": "bea@example.com", "role": "partner",
        "partner_id": PARTNER_ID, "brand_id": None, "brand_role": None, "created_at": AT},
    "identity.account_withdrawn": {
        "account_id": ACCOUNT_ID, "email": "bea@example.com", "partner_id": PARTNER_ID,
        "withdrawn_at": AT},
    "identity.api_key_created": {
        "api_key_id": API_KEY_ID, "brand_id": BRAND_ID, "name": "shop backend",
        "prefix": "ak_live_2e3d4c5b6a7f", "scopes": ["conversions:write"],
        "created_by": f"account:{ACCOUNT_ID}", "created_at": AT},
    "identity.api_key_revoked": {
        "api_key_id": API_KEY_ID, "brand_id": BRAND_ID,
        "revoked_by": f"account:{ACCOUNT_ID}", "revoked_at": AT},
    "identity.session_revoked": {
        "account_id": ACCOUNT_ID, "session_ids": [SESSION_ID], "reason": "logout",
        "revoked_at": AT},
    # webhooks
    "webhooks.endpoint_disabled": {
        "endpoint_id": ENDPOINT_ID, "owner_type": "brand", "owner_id": BRAND_ID,
        "url": "https://hooks.acme.example/alpes", "reason": "failing",
        "consecutive_failures": 8, "failing_since": "2026-11-28T10:00:00Z",
        "disabled_at": AT},
    # bff
    "bff.clicks_captured": {"clicks": [
        {"click_id": "01a2272d-2290-7e3a-9b1c-2d3e4f5a6b70", "referral_code": "bea-spring",
         "ip": "198.51.100.7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
         "occurred_at": "2026-11-29T11:59:59.120000Z"},
        {"click_id": "01a2272d-2293-7f10-8a2b-3c4d5e6f7a81", "referral_code": "bea-spring",
         "ip": "203.0.113.24", "user_agent": "Mozilla/5.0 (iPhone)",
         "occurred_at": "2026-11-29T11:59:59.123000Z"}]},
}


def example(contract: EventContract) -> dict[str, Any]:
    """A fresh copy of the contract's example payload (KeyError if it has none)."""
    return copy.deepcopy(EXAMPLES[contract.key])
