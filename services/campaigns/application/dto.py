"""JSON shapes shared by the RPC answers and the published events.

One place decides how terms, money and budget outcomes look on the wire, so a campaign
read through ``get_campaign`` and the same campaign carried by an event agree field for
field (``TermsSnapshot``/``CampaignSnapshot`` in ``common.contracts.shared``).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from common.seedwork.domain.clock import isoformat
from common.seedwork.domain.money import Money
from services.campaigns.domain.campaign import CampaignState
from services.campaigns.domain.terms import PartnerCommission, Terms


def money(value: Money | None) -> dict[str, str] | None:
    return value.to_dict() if value is not None else None


def timestamp(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def decimal_text(value: Decimal | None) -> str | None:
    return format(value, "f") if value is not None else None


def terms(version: Terms) -> dict:
    return {
        "version": version.version,
        "model": version.model.value,
        "rate": decimal_text(version.rate),
        "min": money(version.min),
        "max": money(version.max),
        "amount": money(version.amount),
        "daily_click_cap": version.daily_click_cap,
        "recurring_months": version.recurring_months,
        "attribution_window_days": version.attribution_window_days,
        "hold_days": version.hold_days,
        "effective_from": timestamp(version.effective_from),
    }


def commission(figures: PartnerCommission | None) -> dict | None:
    if figures is None:
        return None
    return {"model": figures.model.value, "rate": decimal_text(figures.rate),
            "min": money(figures.min), "max": money(figures.max),
            "amount": money(figures.amount)}


def campaign_snapshot(state: CampaignState) -> dict:
    return {
        "campaign_id": state.campaign_id,
        "brand_id": state.brand_id,
        "name": state.name,
        "currency": state.currency,
        "status": state.status.value,
        "starts_at": timestamp(state.starts_at),
        "ends_at": timestamp(state.ends_at),
        "landing_url": state.landing_url,
        "budget": money(state.budget),
        "eligibility": state.eligibility.to_dict(),
        "terms": terms(state.terms),
        "revision": state.revision,
    }
