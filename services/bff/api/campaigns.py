"""Campaigns: brands create and run them; partners browse the active ones and enroll."""
from __future__ import annotations

from typing import Any

from common.contracts.campaigns import ENROLLED_STATUSES
from common.seedwork.domain.money import Money
from common.seedwork.errors import NotFound, ValidationError
from services.bff import ownership, partner_ips, partner_names
from services.bff.auth import ADMIN, BRAND, PARTNER
from services.bff.fanout import Fanout
from services.bff.jsonio import to_wire
from services.bff.routing import route
from services.bff.schemas import campaigns as schemas
from services.bff.schemas.common import PageQuery, page_of

TAG = "campaigns"
BRANDS = (ADMIN, BRAND)


def owned_campaign(call, campaign_id: str) -> dict[str, Any]:
    """The campaign if the caller may manage it (404 otherwise, like a missing one)."""
    return ownership.owned_by_brand(call.principal,
                                    call.rpc.campaigns.get_campaign(campaign_id))


# --- brands' side -------------------------------------------------------------------------
@route("POST", "/api/v1/brands/<brand_id>/campaigns", roles=BRANDS, body=schemas.CampaignBody,
       response=schemas.CampaignOut, status=201, tag=TAG,
       summary="Create a campaign (DRAFT) with its first terms")
def create_campaign(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    return call.rpc.campaigns.create_campaign(to_wire({**call.body, "brand_id": brand_id}))


@route("GET", "/api/v1/brands/<brand_id>/campaigns", roles=BRANDS, query=schemas.CampaignsQuery,
       response=page_of(schemas.CampaignOut), tag=TAG, summary="A brand's campaigns")
def list_brand_campaigns(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    return call.rpc.campaigns.list_campaigns({**call.query, "brand_id": brand_id})


@route("GET", "/api/v1/campaigns/<campaign_id>", roles=BRANDS, response=schemas.CampaignOut,
       tag=TAG, summary="A campaign (its brand's)")
def get_campaign(call, campaign_id):
    return owned_campaign(call, campaign_id)


def _lifecycle(action: str, summary: str):
    def change(call, campaign_id):
        campaign = owned_campaign(call, campaign_id)
        method = getattr(call.rpc.campaigns, f"{action}_campaign")
        return method(campaign_id, campaign["brand_id"])

    change.__name__ = f"{action}_campaign"
    route("POST", f"/api/v1/campaigns/<campaign_id>/{action}", roles=BRANDS,
          response=schemas.CampaignOut, tag=TAG, summary=summary)(change)
    return change


activate_campaign = _lifecycle("activate", "Activate: partners may enroll, traffic attributes")
pause_campaign = _lifecycle("pause", "Pause: nothing new attributes")
end_campaign = _lifecycle("end", "End for good")
cancel_campaign = _lifecycle("cancel", "Cancel (from DRAFT or PAUSED)")


@route("GET", "/api/v1/campaigns/<campaign_id>/terms", roles=BRANDS,
       response=schemas.TermsHistoryOut, tag=TAG,
       summary="Every terms version, and the one in force")
def list_terms(call, campaign_id):
    campaign = owned_campaign(call, campaign_id)
    return {"campaign_id": campaign_id, "current": campaign["terms"],
            "items": campaign["terms_history"]}


@route("POST", "/api/v1/campaigns/<campaign_id>/terms", roles=BRANDS,
       body=schemas.TermsChangeBody, response=schemas.CampaignOut, tag=TAG,
       summary="New terms version from a moment on (earlier conversions keep theirs)")
def change_terms(call, campaign_id):
    campaign = owned_campaign(call, campaign_id)
    body = to_wire(call.body)
    return call.rpc.campaigns.change_terms(campaign_id, campaign["brand_id"], body["terms"],
                                           body["effective_from"])


@route("GET", "/api/v1/campaigns/<campaign_id>/budget", roles=BRANDS,
       response=schemas.BudgetOut, tag=TAG,
       summary="Budget: total, reserved (what its commissions owe), remaining")
def get_budget(call, campaign_id):
    calls = Fanout()
    calls.start("campaign", call.rpc.campaigns.get_campaign.call_async, campaign_id)
    calls.start("budget", call.rpc.commissions.get_campaign_budget.call_async, campaign_id)
    campaign = calls.result("campaign")
    ownership.owned_by_brand(call.principal, campaign)
    try:
        return calls.result("budget")
    except NotFound:
        return budget_of(campaign, None)


def budget_of(campaign: dict, budget: dict | None) -> dict:
    """Commissions' budget view; before commissions has met the campaign (nothing owed
    yet), the brand's total with nothing reserved."""
    if budget is not None:
        return budget
    total = campaign["budget"]
    return {"campaign_id": campaign["campaign_id"], "total": total,
            "reserved": Money.zero(total["currency"]).to_dict(), "remaining": total,
            "exhausted": False}


@route("POST", "/api/v1/campaigns/<campaign_id>/budget", roles=BRANDS,
       body=schemas.BudgetChangeBody, response=schemas.CampaignOut, tag=TAG,
       summary="Change the campaign's total budget (in its currency)")
def change_budget(call, campaign_id):
    campaign = owned_campaign(call, campaign_id)
    return call.rpc.campaigns.change_budget(campaign_id, campaign["brand_id"],
                                            to_wire(call.body["budget"]))


@route("POST", "/api/v1/campaigns/<campaign_id>/admission", roles=BRANDS,
       body=schemas.AdmissionChangeBody, response=schemas.CampaignOut, tag=TAG,
       summary="How partners join from now on: at once (open) or after review")
def change_admission(call, campaign_id):
    campaign = owned_campaign(call, campaign_id)
    return call.rpc.campaigns.change_admission(campaign_id, campaign["brand_id"],
                                               call.body["admission"])


@route("GET", "/api/v1/campaigns/<campaign_id>/enrollments", roles=BRANDS,
       query=schemas.EnrollmentsQuery, response=page_of(schemas.EnrollmentOut), tag=TAG,
       summary="The partners enrolled in a campaign")
def list_campaign_enrollments(call, campaign_id):
    owned_campaign(call, campaign_id)
    return partner_names.named_page(call, call.rpc.campaigns.list_enrollments(
        {**call.query, "campaign_id": campaign_id}))


def brands_enrollment(call, enrollment_id: str) -> dict[str, Any]:
    """The enrollment if the caller's brand runs its campaign (404 otherwise)."""
    return ownership.owned_by_brand(call.principal,
                                    call.rpc.campaigns.get_enrollment(enrollment_id))


def _enrollment_decision(action: str, summary: str, body=None, word: str | None = None):
    """The brand's decision on an enrollment of its campaign (``word``: the field of
    ``body`` it may say to the partner). Someone else's enrollment is a 404."""
    def change(call, enrollment_id):
        enrollment = brands_enrollment(call, enrollment_id)
        method = getattr(call.rpc.campaigns, f"{action}_enrollment")
        said = (call.body[word],) if word else ()
        return method(enrollment_id, enrollment["brand_id"], *said)

    change.__name__ = f"{action}_enrollment"
    route("POST", f"/api/v1/enrollments/<enrollment_id>/{action}", roles=BRANDS, body=body,
          response=schemas.EnrollmentOut, tag=TAG, summary=summary)(change)
    return change


approve_enrollment = _enrollment_decision(
    "approve", "Approve a partner's application: its link works from now on (idempotent; "
               "a declined application may still be approved)")
decline_enrollment = _enrollment_decision(
    "decline", "Decline a partner's application, saying why if you wish (idempotent; an "
               "enrolled partner is suspended instead: 409)",
    body=schemas.DeclineApplicationBody, word="reason")
suspend_enrollment = _enrollment_decision(
    "suspend", "Suspend a partner's link in the brand's campaign, saying why if you wish "
               "(idempotent; the partner is emailed)",
    body=schemas.SuspendLinkBody, word="note")
reactivate_enrollment = _enrollment_decision(
    "reactivate", "Lift the brand's suspension of a link (idempotent; a partner suspended "
                  "by the platform stays suspended)")


@route("PUT", "/api/v1/enrollments/<enrollment_id>/commission", roles=BRANDS,
       body=schemas.PartnerCommissionBody, response=schemas.EnrollmentOut, tag=TAG,
       summary="Pay this partner its own figures in place of the campaign's, for "
               "conversions from now on: `rate` (with optional `min`/`max`) in a CPS "
               "campaign, `amount` in a CPA one (idempotent; the partner is emailed)")
def set_partner_commission(call, enrollment_id):
    enrollment = brands_enrollment(call, enrollment_id)
    figures = to_wire({name: call.body[name] for name in ("rate", "min", "max", "amount")})
    try:
        return call.rpc.campaigns.set_partner_commission(enrollment_id,
                                                         enrollment["brand_id"], figures)
    except ValidationError as refusal:  # the service names the figures under `commission`
        raise ValidationError(refusal.message, _body_fields(refusal.fields)) from None


def _body_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The service's ``{"commission": {"rate": [...]}}`` as the body's own fields; a
    refusal of the figures as a whole (a CPC campaign) stays under ``commission``."""
    nested = fields.get("commission")
    return nested if isinstance(nested, dict) else fields


@route("DELETE", "/api/v1/enrollments/<enrollment_id>/commission", roles=BRANDS,
       response=schemas.EnrollmentOut, tag=TAG,
       summary="Pay this partner the campaign's figures again, from now on (idempotent)")
def clear_partner_commission(call, enrollment_id):
    enrollment = brands_enrollment(call, enrollment_id)
    return call.rpc.campaigns.set_partner_commission(enrollment_id, enrollment["brand_id"],
                                                     None)


@route("PUT", "/api/v1/enrollments/<enrollment_id>/referral-code", roles=(ADMIN, BRAND, PARTNER),
       body=schemas.ReferralCodeBody, response=schemas.EnrollmentOut, tag=TAG,
       summary="Give a link a code of your choosing (a vanity code, as a coupon: `bea10`), "
               "as its partner or its campaign's brand: the new link works at once and the "
               "old one stops (idempotent; a code another link has: 409)")
def change_referral_code(call, enrollment_id):
    code = call.body["code"]
    if call.principal.is_(PARTNER):  # (enrollment, code, acting partner, acting brand)
        enrollment = partners_enrollment(call, enrollment_id)
        return call.rpc.campaigns.change_referral_code(enrollment_id, code,
                                                       enrollment["partner_id"], None)
    enrollment = brands_enrollment(call, enrollment_id)
    return call.rpc.campaigns.change_referral_code(enrollment_id, code, None,
                                                   enrollment["brand_id"])


# --- partners' side -----------------------------------------------------------------------
@route("GET", "/api/v1/partner/campaigns", roles=(PARTNER,), query=PageQuery,
       response=page_of(schemas.AvailableCampaignOut), tag=TAG,
       summary="Active campaigns, each saying whether this partner may join or already did")
def list_available_campaigns(call):
    partner_id = call.principal.subject
    calls = Fanout()
    calls.start("campaigns", call.rpc.campaigns.list_campaigns.call_async,
                {**call.query, "status": "ACTIVE"})
    calls.start("partner", call.rpc.partners.get_partner.call_async, partner_id)
    calls.start("enrollments", call.rpc.campaigns.list_enrollments.call_async,
                {"partner_id": partner_id, "page_size": 100})
    page, partner = calls.result("campaigns"), calls.result("partner")
    mine = {item["campaign_id"]: item for item in calls.result("enrollments")["items"]}
    items = [{**campaign, "eligible": eligible(partner, campaign),
              **_own_enrollment_fields(mine.get(campaign["campaign_id"]))}
             for campaign in page["items"]]
    return {**page, "items": items}


def _own_enrollment_fields(enrollment: dict | None) -> dict[str, Any]:
    """What the partner's card says of its own enrollment or application here."""
    enrollment = enrollment or {}
    return {"enrolled": enrollment.get("status") in ENROLLED_STATUSES,
            "enrollment_status": enrollment.get("status"),
            "enrollment_id": enrollment.get("enrollment_id"),
            "suspension_reason": enrollment.get("suspension_reason"),
            "decline_reason": enrollment.get("decline_reason")}


def eligible(partner: dict, campaign: dict) -> bool:
    """An ACTIVE partner whose type and country the campaign accepts (empty = all)."""
    rules = campaign.get("eligibility") or {}
    types, countries = rules.get("partner_types") or [], rules.get("countries") or []
    return (partner.get("status") == "ACTIVE"
            and (not types or partner.get("type") in types)
            and (not countries or partner.get("country") in countries))


@route("POST", "/api/v1/partners/<partner_id>/enrollments", roles=(ADMIN, PARTNER),
       body=schemas.EnrollBody, response=schemas.EnrollmentOut, status=201, tag=TAG,
       summary="Enroll in an active campaign (the answer carries the referral link), or "
               "apply to one that reviews its partners (PENDING, no link yet; a withdrawn "
               "application is made again, and a partner who left joins again)")
def enroll(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    if call.principal.is_(PARTNER):
        partner_ips.report(call, partner_id)
    return call.rpc.campaigns.enroll_partner(call.body["campaign_id"], partner_id,
                                             call.body["note"])


def _partners_step(action: str, method: str, summary: str):
    """A step the partner takes with its own enrollment (another's is a 404)."""
    def step(call, enrollment_id):
        enrollment = partners_enrollment(call, enrollment_id)
        return getattr(call.rpc.campaigns, method)(enrollment_id, enrollment["partner_id"])

    step.__name__ = method
    route("POST", f"/api/v1/enrollments/<enrollment_id>/{action}", roles=(ADMIN, PARTNER),
          response=schemas.EnrollmentOut, tag=TAG, summary=summary)(step)
    return step


withdraw_application = _partners_step(
    "withdraw", "withdraw_application",
    "Withdraw your application before the brand decides (idempotent; apply again later by "
    "enrolling; a decided one: 409)")
leave_campaign = _partners_step(
    "leave", "leave_campaign",
    "Leave a campaign: your link stops earning (SUSPENDED, `partner_left`) until you enroll "
    "in it again (idempotent; a link already suspended: 409)")


def partners_enrollment(call, enrollment_id: str) -> dict[str, Any]:
    """The enrollment if it is the calling partner's (404 otherwise)."""
    return ownership.owned_by_partner(call.principal,
                                      call.rpc.campaigns.get_enrollment(enrollment_id))


@route("GET", "/api/v1/partners/<partner_id>/enrollments", roles=(ADMIN, PARTNER),
       query=schemas.EnrollmentsQuery, response=page_of(schemas.EnrollmentOut), tag=TAG,
       summary="A partner's enrollments and referral links")
def list_partner_enrollments(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    return call.rpc.campaigns.list_enrollments({**call.query, "partner_id": partner_id})
