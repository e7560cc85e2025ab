"""Payouts: admins run them and retry failures; partners see their own; either exports
its list as CSV."""
from __future__ import annotations

from common.seedwork.domain.clock import utcnow
from services.bff import exports, ownership
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


@route("GET", "/api/v1/payouts/export", roles=(ADMIN,), query=schemas.AdminPayoutsExportQuery,
       media_type=exports.CSV, tag=TAG,
       summary="Every payout as CSV, for reconciling with the PSP (admin; every match of "
               "the filters, up to 10,000)")
def export_payouts(call):
    return _export(call, call.query, "payouts")


@route("GET", "/api/v1/partners/<partner_id>/payouts/export", roles=(ADMIN, PARTNER),
       query=schemas.PayoutsExportQuery, media_type=exports.CSV, tag=TAG,
       summary="A partner's payouts as CSV (every match of the filters, up to 10,000)")
def export_partner_payouts(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    return _export(call, {**call.query, "partner_id": partner_id},
                   f"payouts-partner-{partner_id}")


def _export(call, filters: dict, name: str):
    return exports.export(call.rpc.payouts.list_payouts, filters, "payouts",
                          exports.PAYOUT_COLUMNS, name, utcnow().date())


def for_audience(call, payout: dict) -> dict:
    """The saga's step log is for operators."""
    if call.principal.is_(PARTNER):
        return {k: v for k, v in payout.items() if k not in ADMIN_ONLY_FIELDS}
    return payout
