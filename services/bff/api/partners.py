"""Partners: public signup, own profile, admin lifecycle (partners service)."""
from __future__ import annotations

from common.seedwork.domain.entity import new_id
from common.seedwork.errors import Conflict, ValidationError
from services.bff import ownership, partner_ips
from services.bff.auth import ADMIN, PARTNER
from services.bff.jsonio import to_wire
from services.bff.routing import route
from services.bff.schemas import partners as schemas
from services.bff.schemas.common import page_of

TAG = "partners"


@route("POST", "/api/v1/partners/signup", limit="signup", body=schemas.SignupBody,
       response=schemas.SignupOut, status=201, tag=TAG,
       summary="Sign up as a partner (public; PENDING until verified and activated)")
def sign_up(call):
    """With a password, the account comes first (policy and email checked: refused input
    changes nothing), bound to a partner id chosen here, then the partner is registered
    under that id. So a sign-up cut short after the account (partners away) is finished
    by signing up again with the same email and password: identity answers the account
    made then, partners registers its partner (or finds it registered). A partner refused
    withdraws the account made for it (``_undone``). (A password never travels in an
    event.)"""
    body = dict(call.body)
    password = body.pop("password", None)
    account = None
    if password is None:
        created = call.rpc.partners.register_partner(to_wire(body))
    else:
        chosen = new_id()
        account = call.rpc.identity.create_partner_account({
            "partner_id": chosen, "email": body["email"], "password": password})
        created = _register_for(call, account, body, fresh=account["partner_id"] == chosen)
    partner = call.rpc.partners.get_partner(created["partner_id"])
    partner_ips.report(call, partner["partner_id"])
    return {"partner": partner, "token": _token_for(call, partner["partner_id"]),
            "account": account}


def _register_for(call, account: dict, body: dict, *, fresh: bool) -> dict:
    """The partner the account was made for (a replay if it is registered already)."""
    try:
        return call.rpc.partners.register_partner(
            to_wire({**body, "partner_id": account["partner_id"]}))
    except (Conflict, ValidationError) as refusal:
        if _undone(refusal, fresh):
            call.rpc.identity.withdraw_partner_account({
                "account_id": account["account_id"], "partner_id": account["partner_id"]})
        raise


def _undone(refusal: Conflict | ValidationError, fresh: bool) -> bool:
    """Does this refusal leave the account without a partner to stand for? An email that
    is another partner's: the account's partner was never registered, whenever the
    account was made. Bad input: only for an account made by this request (a sign-up
    being finished may have its partner already). A timeout proves nothing: kept."""
    if isinstance(refusal, Conflict):
        return "email" in (refusal.fields or {})
    return fresh


def _token_for(call, partner_id: str) -> dict | None:
    if not call.edge.codec.configured:
        return None
    ttl = call.settings.token_ttl_seconds
    return {"access_token": call.edge.codec.mint(PARTNER, partner_id, ttl),
            "token_type": "Bearer", "expires_in": ttl}


@route("GET", "/api/v1/partners", roles=(ADMIN,), query=schemas.PartnersQuery,
       response=page_of(schemas.PartnerOut), tag=TAG, summary="List partners (admin)")
def list_partners(call):
    return call.rpc.partners.list_partners(call.query)


@route("GET", "/api/v1/partners/<partner_id>", roles=(ADMIN, PARTNER),
       response=schemas.PartnerOut, tag=TAG, summary="A partner's profile (its own)")
def get_partner(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    if call.principal.is_(PARTNER):
        partner_ips.report(call, partner_id)
    return call.rpc.partners.get_partner(partner_id)


@route("PATCH", "/api/v1/partners/<partner_id>", roles=(ADMIN, PARTNER),
       body=schemas.PartnerPatchBody, response=schemas.PartnerOut, tag=TAG,
       summary="Change a partner's payout method (its own)")
def update_partner(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    return call.rpc.partners.change_payout_method(partner_id, call.body["payout_method"])


@route("POST", "/api/v1/partners/<partner_id>/verify", roles=(ADMIN,),
       response=schemas.PartnerOut, tag=TAG, summary="Record that KYC passed (admin)")
def verify_partner(call, partner_id):
    return call.rpc.partners.verify_partner(partner_id)


@route("POST", "/api/v1/partners/<partner_id>/activate", roles=(ADMIN,),
       response=schemas.PartnerOut, tag=TAG, summary="Activate a verified partner (admin)")
def activate_partner(call, partner_id):
    return call.rpc.partners.activate_partner(partner_id)


@route("POST", "/api/v1/partners/<partner_id>/suspend", roles=(ADMIN,),
       body=schemas.SuspendBody, response=schemas.PartnerOut, tag=TAG,
       summary="Suspend a partner (admin): its links stop attributing")
def suspend_partner(call, partner_id):
    return call.rpc.partners.suspend_partner(partner_id, call.body["reason"])


@route("POST", "/api/v1/partners/<partner_id>/reactivate", roles=(ADMIN,),
       response=schemas.PartnerOut, tag=TAG, summary="Reactivate a suspended partner (admin)")
def reactivate_partner(call, partner_id):
    return call.rpc.partners.reactivate_partner(partner_id)
