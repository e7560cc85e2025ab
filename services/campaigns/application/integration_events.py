"""Which campaigns domain events leave the service, and in what shape (common.contracts)."""
from __future__ import annotations

from common.contracts import campaigns as contracts
from common.seedwork.application.integration import EventTranslator
from services.campaigns.application import dto
from services.campaigns.domain import brand, campaign, enrollment

TRANSLATOR = EventTranslator()


def _campaign(event: campaign.CampaignEvent) -> dict:
    return {"campaign": dto.campaign_snapshot(event.campaign)}


def _enrollment(state: enrollment.EnrollmentState) -> dict:
    return {
        "enrollment_id": state.enrollment_id,
        "campaign_id": state.campaign_id,
        "brand_id": state.brand_id,
        "partner_id": state.partner_id,
        "referral_code": state.referral_code,
        "tracking_url": state.tracking_url,
        "status": state.status.value,
        "enrolled_at": dto.timestamp(state.enrolled_at),
        "revision": state.revision,
    }


@TRANSLATOR.maps(brand.BrandRegistered, contracts.BRAND_REGISTERED)
def brand_registered(event: brand.BrandRegistered) -> dict:
    return {"brand_id": event.brand_id, "name": event.name, "currency": event.currency,
            "registered_at": dto.timestamp(event.occurred_at)}


TRANSLATOR.register(campaign.CampaignCreated, contracts.CAMPAIGN_CREATED, _campaign)
TRANSLATOR.register(campaign.CampaignActivated, contracts.CAMPAIGN_ACTIVATED, _campaign)
TRANSLATOR.register(campaign.CampaignEnded, contracts.CAMPAIGN_ENDED, _campaign)
TRANSLATOR.register(campaign.CampaignCancelled, contracts.CAMPAIGN_CANCELLED, _campaign)
TRANSLATOR.register(campaign.CampaignPaused, contracts.CAMPAIGN_PAUSED,
                    lambda e: {**_campaign(e), "reason": e.reason})

TRANSLATOR.register(campaign.CampaignBudgetChanged, contracts.CAMPAIGN_BUDGET_CHANGED,
                    lambda e: {**_campaign(e), "previous_budget": dto.money(e.previous_budget)})


@TRANSLATOR.maps(campaign.CampaignTermsChanged, contracts.CAMPAIGN_TERMS_CHANGED)
def terms_changed(event: campaign.CampaignTermsChanged) -> dict:
    return {**_campaign(event), "new_terms": dto.terms(event.new_terms),
            "previous_version": event.previous_version}


@TRANSLATOR.maps(campaign.CampaignBudgetExhausted, contracts.BUDGET_EXHAUSTED)
def budget_exhausted(event: campaign.CampaignBudgetExhausted) -> dict:
    return {"campaign_id": event.campaign_id, "brand_id": event.brand_id,
            "budget": dto.money(event.budget), "reserved": dto.money(event.reserved),
            "remaining": dto.money(event.remaining)}


@TRANSLATOR.maps(enrollment.PartnerEnrolled, contracts.PARTNER_ENROLLED)
def partner_enrolled(event: enrollment.PartnerEnrolled) -> dict:
    """Everything tracking and commissions need to attribute and pay: no RPC."""
    return {**_enrollment(event.enrollment),
            "applied_at": dto.timestamp(event.enrollment.applied_at),
            "campaign": dto.campaign_snapshot(event.campaign),
            "terms_history": [dto.terms(t) for t in event.campaign.terms_history]}


TRANSLATOR.register(enrollment.EnrollmentSuspended, contracts.ENROLLMENT_SUSPENDED,
                    lambda e: {**_enrollment(e.enrollment), "reason": e.reason,
                               "campaign_name": e.campaign_name, "note": e.note})
TRANSLATOR.register(enrollment.EnrollmentReactivated, contracts.ENROLLMENT_REACTIVATED,
                    lambda e: {**_enrollment(e.enrollment), "reason": e.reason,
                               "campaign_name": e.campaign_name, "note": None})


@TRANSLATOR.maps(enrollment.EnrollmentCommissionChanged, contracts.ENROLLMENT_COMMISSION_CHANGED)
def enrollment_commission_changed(event: enrollment.EnrollmentCommissionChanged) -> dict:
    return {**_enrollment(event.enrollment), "campaign_name": event.campaign_name,
            "commission": dto.commission(event.commission),
            "effective_from": dto.timestamp(event.effective_from)}


@TRANSLATOR.maps(enrollment.EnrollmentCodeChanged, contracts.ENROLLMENT_CODE_CHANGED)
def enrollment_code_changed(event: enrollment.EnrollmentCodeChanged) -> dict:
    return {**_enrollment(event.enrollment), "campaign_name": event.campaign_name,
            "previous_code": event.previous_code, "changed_by": event.changed_by,
            "reason": event.reason}


def _application(state: enrollment.EnrollmentState, campaign_name: str) -> dict:
    return {"enrollment_id": state.enrollment_id, "campaign_id": state.campaign_id,
            "campaign_name": campaign_name, "brand_id": state.brand_id,
            "partner_id": state.partner_id,
            "status": state.status.value, "applied_at": dto.timestamp(state.applied_at),
            "revision": state.revision}


@TRANSLATOR.maps(enrollment.EnrollmentRequested, contracts.ENROLLMENT_REQUESTED)
def enrollment_requested(event: enrollment.EnrollmentRequested) -> dict:
    return {**_application(event.enrollment, event.campaign_name), "note": event.note}


TRANSLATOR.register(enrollment.EnrollmentDeclined, contracts.ENROLLMENT_DECLINED,
                    lambda e: {**_application(e.enrollment, e.campaign_name),
                               "reason": e.reason})
TRANSLATOR.register(enrollment.EnrollmentWithdrawn, contracts.ENROLLMENT_WITHDRAWN,
                    lambda e: _application(e.enrollment, e.campaign_name))
