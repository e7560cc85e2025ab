"""Commissions: brands approve or decline theirs; partners follow theirs and their balance;
either exports its list as CSV."""
from __future__ import annotations

import uuid

from common.contracts.campaigns import ENROLLED_STATUSES, CampaignClosed
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import ValidationError
from services.bff import exports, ownership, partner_names
from services.bff.api.campaigns import owned_campaign
from services.bff.auth import ADMIN, BRAND, PARTNER
from services.bff.jsonio import to_wire
from services.bff.routing import route
from services.bff.schemas import commissions as schemas
from services.bff.schemas.common import page_of

TAG = "commissions"


def owned_commission(call, commission_id: str) -> dict:
    return ownership.owned_by_brand_or_partner(
        call.principal, call.rpc.commissions.get_commission(commission_id))


@route("GET", "/api/v1/partners/<partner_id>/commissions", roles=(ADMIN, PARTNER),
       query=schemas.CommissionsQuery, response=page_of(schemas.CommissionOut), tag=TAG,
       summary="A partner's commissions")
def list_partner_commissions(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    return call.rpc.commissions.list_commissions(to_wire({**call.query,
                                                          "partner_id": partner_id}))


@route("GET", "/api/v1/brands/<brand_id>/commissions", roles=(ADMIN, BRAND),
       query=schemas.BrandCommissionsQuery, response=page_of(schemas.CommissionOut), tag=TAG,
       summary="The commissions a brand owes")
def list_brand_commissions(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    return partner_names.named_page(call, call.rpc.commissions.list_commissions(
        to_wire({**call.query, "brand_id": brand_id})))


@route("GET", "/api/v1/partners/<partner_id>/commissions/export", roles=(ADMIN, PARTNER),
       query=schemas.CommissionsExportQuery, media_type=exports.CSV, tag=TAG,
       summary="A partner's commissions as CSV (every match of the filters, up to 10,000)")
def export_partner_commissions(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    return _export(call, {**call.query, "partner_id": partner_id}, exports.COMMISSION_COLUMNS,
                   f"commissions-partner-{partner_id}")


@route("GET", "/api/v1/brands/<brand_id>/commissions/export", roles=(ADMIN, BRAND),
       query=schemas.BrandCommissionsExportQuery, media_type=exports.CSV, tag=TAG,
       summary="The commissions a brand owes, as CSV (every match of the filters, up to "
               "10,000)")
def export_brand_commissions(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    return _export(call, {**call.query, "brand_id": brand_id},
                   exports.BRAND_COMMISSION_COLUMNS, f"commissions-brand-{brand_id}", named=True)


def _export(call, filters: dict, columns, name: str, *, named: bool = False):
    """``named``: a brand's export, its partners named page by page (partner_names.py)."""
    list_page = call.rpc.commissions.list_commissions
    if named:
        list_page = partner_names.naming(call, list_page)
    return exports.export(list_page, filters, "commissions", columns, name, utcnow().date())


CLOSED = ("ENDED", "CANCELLED")  # a campaign that awards nothing any more


@route("POST", "/api/v1/campaigns/<campaign_id>/bonuses", roles=(ADMIN, BRAND),
       body=schemas.BonusBody, response=schemas.CommissionOut, status=201, tag=TAG,
       summary="Award a partner of the campaign a one-off bonus, approved at once, out of "
               "the campaign's budget (never past it: 409 `budget_exhausted`)")
def award_bonus(call, campaign_id):
    campaign = owned_campaign(call, campaign_id)
    if campaign["status"] in CLOSED:
        raise CampaignClosed(f"The campaign is {campaign['status']}: it awards no bonus.",
                             {"campaign_id": ["Closed."]})
    partner_id = call.body["partner_id"]
    enrolled = call.rpc.campaigns.list_enrollments(
        {"campaign_id": campaign_id, "partner_id": partner_id})["items"]
    if not any(e["status"] in ENROLLED_STATUSES for e in enrolled):
        raise ValidationError("The bonus is invalid.", {
            "partner_id": ["Not a partner with a link in this campaign."]})
    return call.rpc.commissions.award_bonus(to_wire({
        "reference": call.body["reference"] or str(uuid.uuid4()),
        "acting_brand_id": campaign["brand_id"], "campaign_id": campaign_id,
        "partner_id": partner_id, "amount": call.body["amount"], "note": call.body["note"],
        "campaign_name": campaign["name"]}))


@route("GET", "/api/v1/commissions/<commission_id>", roles=(ADMIN, BRAND, PARTNER),
       response=schemas.CommissionOut, tag=TAG, summary="A commission (its brand's/partner's)")
def get_commission(call, commission_id):
    return owned_commission(call, commission_id)


@route("POST", "/api/v1/commissions/<commission_id>/approve", roles=(ADMIN, BRAND),
       response=schemas.CommissionOut, tag=TAG,
       summary="Approve a pending commission before its hold ends")
def approve_commission(call, commission_id):
    commission = ownership.owned_by_brand(call.principal,
                                          call.rpc.commissions.get_commission(commission_id))
    return call.rpc.commissions.approve_commission(commission_id, commission["brand_id"])


@route("POST", "/api/v1/brands/<brand_id>/commissions/approve", roles=(ADMIN, BRAND),
       body=schemas.ApproveManyBody, response=schemas.ApprovedManyOut, tag=TAG,
       summary="Approve up to 100 of the brand's pending commissions at once, each on its "
               "own: the answer lists those approved and those refused, with why")
def approve_commissions(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    answer = call.rpc.commissions.approve_commissions(call.body["commission_ids"], brand_id)
    return {"approved": answer["approved"],
            "refused": [_as_this_brand_sees_it(item) for item in answer["refused"]]}


def _as_this_brand_sees_it(refused: dict) -> dict:
    """Another brand's commission is refused as an unknown one: ids say nothing here."""
    error = refused["error"]
    if error["code"] == "forbidden":
        error = {"code": "not_found", "message": "No such commission of this brand."}
    return {"commission_id": refused["commission_id"],
            "error": {"code": error["code"], "message": error["message"]}}


@route("POST", "/api/v1/commissions/<commission_id>/decline", roles=(ADMIN, BRAND),
       body=schemas.DeclineBody, response=schemas.CommissionOut, tag=TAG,
       summary="Decline a commission (its budget reservation is released)")
def decline_commission(call, commission_id):
    commission = ownership.owned_by_brand(call.principal,
                                          call.rpc.commissions.get_commission(commission_id))
    return call.rpc.commissions.decline_commission(commission_id, commission["brand_id"],
                                                   call.body["reason"])


@route("GET", "/api/v1/partners/<partner_id>/balance", roles=(ADMIN, PARTNER),
       response=schemas.BalanceOut, tag=TAG,
       summary="What a partner has pending, approved, in payout and paid, per currency")
def get_balance(call, partner_id):
    return call.rpc.commissions.get_balance(ownership.partner(call.principal, partner_id))
