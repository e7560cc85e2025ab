"""Partners: public signup, own profile, admin lifecycle (partners service)."""
from __future__ import annotations

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
    """With a password, identity first checks it would make the account (policy, email
    free: refused input changes nothing), then the partner is registered and its account
    made, bound to the partner id. (A password never travels in an event.)"""
    body = dict(call.body)
    password = body.pop("password", None)
    if password is not None:
        call.rpc.identity.check_new_account({"email": body["email"], "password": password})
    created = call.rpc.partners.register_partner(to_wire(body))
    account = None
    if password is not None:
        account = call.rpc.identity.create_partner_account({
            "partner_id": created["partner_id"], "email": body["email"], "password": password})
    partner = call.rpc.partners.get_partner(created["partner_id"])
    partner_ips.report(call, partner["partner_id"])
    return {"partner": partner, "token": _token_for(call, partner["partner_id"]),
            "account": account}


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
