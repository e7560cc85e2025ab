"""Received integration events -> tracking's replica commands (the anti-corruption
layer). Each event arrives already checked and read by its contract (``ReceivedEvent``,
see ``common.nameko.events``): these functions only translate."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from common.contracts.shared import CommissionFigures, TermsSnapshot
from common.seedwork.application.integration import ReceivedEvent
from common.validation import schema_instance
from services.tracking.application import commands
from services.tracking.domain.clicks import ClickRequest
from services.tracking.domain.references import CampaignRef, EnrollmentRef, PartnerRef
from services.tracking.domain.terms import PartnerFigures, TermsVersion


def terms_version(snapshot: dict[str, Any]) -> TermsVersion:
    return TermsVersion(
        version=snapshot["version"], model=snapshot["model"],
        attribution_window_days=snapshot["attribution_window_days"],
        effective_from=snapshot["effective_from"],
        # back to its wire form, kept verbatim for our own events
        snapshot=schema_instance(TermsSnapshot).dump(snapshot))


def campaign(snapshot: dict[str, Any],
             more_terms: Iterable[dict[str, Any]] = ()) -> commands.ReplicateCampaign:
    """From a campaign snapshot; its current terms plus ``more_terms`` are recorded."""
    return commands.ReplicateCampaign(
        campaign=CampaignRef(
            campaign_id=snapshot["campaign_id"], brand_id=snapshot["brand_id"],
            status=snapshot["status"], currency=snapshot["currency"],
            landing_url=snapshot["landing_url"], starts_at=snapshot["starts_at"],
            ends_at=snapshot["ends_at"]),
        revision=snapshot["revision"],
        terms=tuple(terms_version(t) for t in (snapshot["terms"], *more_terms)))


def campaign_event(event: ReceivedEvent) -> commands.ReplicateCampaign:
    """campaign_created/activated/paused/ended/cancelled/terms_changed."""
    payload = event.data
    new_terms = [payload["new_terms"]] if payload.get("new_terms") else []
    return campaign(payload["campaign"], new_terms)


def enrollment(event: ReceivedEvent) -> commands.ReplicateEnrollment:
    """partner_enrolled (with campaign and terms history) or enrollment_suspended /
    reactivated / code_changed (enrollment only)."""
    payload = event.data
    replicated_campaign = None
    if payload.get("campaign"):
        replicated_campaign = campaign(payload["campaign"], payload.get("terms_history", ()))
    return commands.ReplicateEnrollment(enrollment=_enrollment_ref(payload),
                                        revision=payload["revision"],
                                        campaign=replicated_campaign)


def partner_figures(event: ReceivedEvent) -> commands.ReplicatePartnerFigures:
    """enrollment_commission_changed: the figures kept in their wire form."""
    payload = event.data
    figures = payload["commission"]
    return commands.ReplicatePartnerFigures(
        enrollment=_enrollment_ref(payload), change=PartnerFigures(
            revision=payload["revision"], effective_from=payload["effective_from"],
            figures=(schema_instance(CommissionFigures).dump(figures)
                     if figures is not None else None)))


def _enrollment_ref(payload: dict[str, Any]) -> EnrollmentRef:
    return EnrollmentRef(
        enrollment_id=payload["enrollment_id"], referral_code=payload["referral_code"],
        campaign_id=payload["campaign_id"], brand_id=payload["brand_id"],
        partner_id=payload["partner_id"], status=payload["status"])


def partner(event: ReceivedEvent) -> commands.ReplicatePartner:
    payload = event.data
    return commands.ReplicatePartner(
        partner=PartnerRef(partner_id=payload["partner_id"], email=payload["email"],
                           status=payload["status"]),
        revision=payload["revision"])


def captured_clicks(event: ReceivedEvent) -> commands.RecordCapturedClicks:
    """clicks_captured (the BFF's redirects): each click keeps its id and its time."""
    return commands.RecordCapturedClicks(clicks=tuple(
        ClickRequest(referral_code=click["referral_code"], ip=click["ip"],
                     user_agent=click["user_agent"], occurred_at=click["occurred_at"],
                     click_id=click["click_id"], landing_url=click.get("landing_url"))
        for click in event.data["clicks"]))
