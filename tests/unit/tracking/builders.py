"""Domain objects for the tracking unit tests."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.tracking.domain.references import (
    CampaignRef,
    EnrollmentRef,
    PartnerRef,
    ReferralTarget,
)
from services.tracking.domain.terms import TermsHistory, TermsVersion

T0 = datetime(2026, 6, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
BRAND = "11111111-1111-4111-8111-111111111111"


def new_id() -> str:
    return str(uuid.uuid4())


def terms(version: int = 1, *, model: str = "CPS", window_days: int = 30,
          effective_from: datetime = T0, recurring_months: int | None = None) -> TermsVersion:
    snapshot = {"version": version, "model": model, "rate": "0.10" if model == "CPS" else None,
                "min": None, "max": None,
                "amount": None if model == "CPS" else {"amount": "0.50", "currency": "EUR"},
                "daily_click_cap": None, "attribution_window_days": window_days,
                "hold_days": 14, "recurring_months": recurring_months,
                "effective_from": effective_from.isoformat()}
    return TermsVersion(version=version, model=model, attribution_window_days=window_days,
                        effective_from=effective_from, snapshot=snapshot)


def campaign(*, brand_id: str = BRAND, status: str = "ACTIVE", currency: str = "EUR",
             starts_at=None, ends_at=None,
             landing_url: str = "https://shop.example/p?utm=x") -> CampaignRef:
    return CampaignRef(campaign_id=new_id(), brand_id=brand_id, status=status,
                       currency=currency, landing_url=landing_url, starts_at=starts_at,
                       ends_at=ends_at)


def target(*, campaign_ref: CampaignRef | None = None, enrollment_status: str = "ACTIVE",
           partner_status: str | None = "ACTIVE", history=None, code: str | None = None,
           partner_id: str | None = None) -> ReferralTarget:
    campaign_ref = campaign_ref or campaign()
    partner_id = partner_id or new_id()
    enrollment = EnrollmentRef(
        enrollment_id=new_id(), referral_code=code or f"C{uuid.uuid4().hex[:8]}",
        campaign_id=campaign_ref.campaign_id, brand_id=campaign_ref.brand_id,
        partner_id=partner_id, status=enrollment_status)
    partner = (PartnerRef(partner_id=partner_id, email="ana@partner.example",
                          status=partner_status) if partner_status else None)
    return ReferralTarget(enrollment=enrollment, campaign=campaign_ref, partner=partner,
                          terms=TermsHistory(history or [terms()]))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


