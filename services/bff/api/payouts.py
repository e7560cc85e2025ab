"""Payouts: admins run them and retry failures; partners see their own."""
from __future__ import annotations

from services.bff import ownership
from services.bff.auth import ADMIN, PARTNER
from services.bff.jsonio import to_wire
from services.bff.routing import route
from services.bff.schemas import payouts as schemas
from services.bff.schemas.common import page_of

TAG = "payouts"
ADMIN_ONLY_FIELDS = ("saga_log",)


@route("POST", "/api/v1/payouts/runs", roles=(ADMIN,), body=schemas.PayoutRunBody,
       response=schemas.PayoutRunOut, status=201, tag=TAG,
       summary="Pay every partner whose approved balance reaches the threshold")
def run_payouts(call):
    body = {key: value for key, value in call.body.items() if value is not None}
    if "min_amount" in body:  # money over HTTP; the RPC takes the amount in the currency
        body["min_amount"] = body["min_amount"]["amount"]
    return call.rpc.payouts.run_payouts(to_wire(body))


@route("GET", "/api/v1/payouts", roles=(ADMIN,), query=schemas.AdminPayoutsQuery,
       response=page_of(schemas.PayoutOut), tag=TAG, summary="Every payout (admin)")
def list_payouts(call):
    return call.rpc.payouts.list_payouts(call.query)


@route("GET", "/api/v1/payouts/<payout_id>", roles=(ADMIN, PARTNER),
       response=schemas.PayoutOut, tag=TAG, summary="A payout (the partner's own)")
def get_payout(call, payout_id):
    payout = ownership.owned_by_partner(call.principal, call.rpc.payouts.get_payout(payout_id))
    return for_audience(call, payout)


@route("POST", "/api/v1/payouts/<payout_id>/retry", roles=(ADMIN,),
       response=schemas.PayoutOut, tag=TAG, summary="Retry a failed payout (admin)")
def retry_payout(call, payout_id):
    return call.rpc.payouts.retry_payout(payout_id)


@route("GET", "/api/v1/partners/<partner_id>/payouts", roles=(ADMIN, PARTNER),
       query=schemas.PayoutsQuery, response=page_of(schemas.PayoutOut), tag=TAG,
       summary="A partner's payouts")
def list_partner_payouts(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    page = call.rpc.payouts.list_payouts({**call.query, "partner_id": partner_id})
    return {**page, "items": [for_audience(call, item) for item in page["items"]]}


def for_audience(call, payout: dict) -> dict:
    """The saga's step log is for operators."""
    if call.principal.is_(PARTNER):
        return {k: v for k, v in payout.items() if k not in ADMIN_ONLY_FIELDS}
    return payout
