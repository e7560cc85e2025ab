"""Webhooks: a brand or a partner subscribes its HTTPS endpoints to its events, reads
the delivery log, replays; admins reach every endpoint (and create either's).

Every endpoint and delivery carries its owner (``owner_type``, ``owner_id``): another
owner's answers 404 like a missing one (``ownership.owned_by_its_owner``). Changes are
for a brand's owners (its members read) and for the partner itself, never with an API
key; a secret is in the answer of the create and rotate calls only.
"""
from __future__ import annotations

from common.seedwork.errors import NotFound, ValidationError
from services.bff import errors, ownership
from services.bff.auth import ADMIN, BRAND, MEMBER, PARTNER
from services.bff.jsonio import to_wire
from services.bff.routing import route
from services.bff.schemas import webhooks as schemas
from services.bff.schemas.common import page_of

TAG = "webhooks"
ROLES = (ADMIN, BRAND, PARTNER)
ENDPOINTS = "/api/v1/webhooks/endpoints"
ENDPOINT = ENDPOINTS + "/<endpoint_id>"


def _endpoint(call, endpoint_id: str, *, manage: bool = False) -> dict:
    return ownership.owned_by_its_owner(
        call.principal, call.rpc.webhooks.get_endpoint(endpoint_id), manage=manage)


def _owner_filter(call) -> dict:
    """Whose endpoints: a brand's or a partner's own; an admin's choice (or everyone's)."""
    if not call.principal.is_(ADMIN):
        return {"owner_type": call.principal.role, "owner_id": call.principal.subject}
    if call.query.get("partner_id"):
        return {"owner_type": "partner", "owner_id": call.query["partner_id"]}
    if call.query.get("brand_id"):
        return {"owner_type": "brand", "owner_id": call.query["brand_id"]}
    return {}


def _new_owner(call) -> tuple[str, str]:
    """The owner of a new endpoint: a brand or a partner itself (the token decides; naming
    the other side is refused); what an admin names (one of a brand or a partner, which
    must exist)."""
    body = call.body
    principal = call.principal
    if not principal.is_(ADMIN):
        if principal.brand_role == MEMBER:
            raise errors.ApiError(403, "forbidden", "Only the brand's owners manage its "
                                  "webhook endpoints.")
        other = "partner_id" if principal.is_(BRAND) else "brand_id"
        if body.get(other):
            raise ValidationError(fields={other: ["Only admins name the owner."]})
        return principal.role, principal.subject
    if bool(body.get("brand_id")) == bool(body.get("partner_id")):
        raise ValidationError(fields={"brand_id": ["Name the owner: brand_id or partner_id."]})
    owner_type, owner_id = (("brand", body["brand_id"]) if body.get("brand_id")
                            else ("partner", body["partner_id"]))
    lookup = (call.rpc.campaigns.get_brand if owner_type == "brand"
              else call.rpc.partners.get_partner)
    try:
        lookup(owner_id)
    except NotFound:
        raise ValidationError(fields={f"{owner_type}_id": [f"No {owner_type} has this id."]}) \
            from None
    return owner_type, owner_id


# --- endpoints -------------------------------------------------------------------------------
@route("GET", "/api/v1/webhooks/event-types", roles=ROLES, response=schemas.EventTypesOut,
       tag=TAG, summary="The event types an endpoint can subscribe to, with their fields")
def list_webhook_event_types(call):
    principal = call.principal
    return call.rpc.webhooks.event_types(None if principal.is_(ADMIN) else principal.role)


@route("POST", ENDPOINTS, roles=ROLES, keyless=True, body=schemas.EndpointBody,
       response=schemas.NewEndpointOut, status=201, tag=TAG,
       summary="Subscribe an endpoint to events (its signing secret is shown once)")
def create_webhook_endpoint(call):
    owner_type, owner_id = _new_owner(call)
    return call.rpc.webhooks.create_endpoint({
        "owner_type": owner_type, "owner_id": owner_id, "url": call.body["url"],
        "event_types": call.body["event_types"], "description": call.body["description"]})


@route("GET", ENDPOINTS, roles=ROLES, query=schemas.EndpointsQuery,
       response=page_of(schemas.EndpointOut), tag=TAG, summary="Webhook endpoints (yours)")
def list_webhook_endpoints(call):
    filters = {key: value for key, value in call.query.items()
               if key not in ("brand_id", "partner_id")}
    return call.rpc.webhooks.list_endpoints({**filters, **_owner_filter(call)})


@route("GET", ENDPOINT, roles=ROLES, response=schemas.EndpointOut, tag=TAG,
       summary="A webhook endpoint (never its secret)")
def get_webhook_endpoint(call, endpoint_id):
    return _endpoint(call, endpoint_id)


@route("PATCH", ENDPOINT, roles=ROLES, keyless=True, body=schemas.EndpointChangeBody,
       response=schemas.EndpointOut, tag=TAG,
       summary="Change an endpoint's URL, event types or description")
def update_webhook_endpoint(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.update_endpoint(endpoint_id, call.body)


@route("DELETE", ENDPOINT, roles=ROLES, keyless=True, response=schemas.DeletedOut, tag=TAG,
       summary="Delete an endpoint, its deliveries and their log")
def delete_webhook_endpoint(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.delete_endpoint(endpoint_id)


@route("POST", ENDPOINT + "/disable", roles=ROLES, keyless=True,
       response=schemas.EndpointOut, tag=TAG,
       summary="Stop deliveries (new events are kept as skipped, replayable)")
def disable_webhook_endpoint(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.disable_endpoint(endpoint_id)


@route("POST", ENDPOINT + "/enable", roles=ROLES, keyless=True,
       response=schemas.EndpointOut, tag=TAG,
       summary="Resume deliveries (after a manual or automatic disable)")
def enable_webhook_endpoint(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.enable_endpoint(endpoint_id)


@route("POST", ENDPOINT + "/rotate-secret", roles=ROLES, keyless=True,
       body=schemas.RotateSecretBody, response=schemas.NewEndpointOut, tag=TAG,
       summary="A new signing secret (shown once); the old one signs too for a while")
def rotate_webhook_secret(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.rotate_secret(endpoint_id, call.body["grace_seconds"])


@route("POST", ENDPOINT + "/test", roles=ROLES, keyless=True,
       response=schemas.DeliveryDetailOut, status=202, tag=TAG,
       summary="Send a webhook.test event to the endpoint now")
def test_webhook_endpoint(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.send_test_event(endpoint_id)


@route("POST", ENDPOINT + "/replay", roles=ROLES, keyless=True, body=schemas.ReplayBody,
       response=schemas.ReplayOut, tag=TAG,
       summary="Send again every delivery accepted since a time (or only the failed)")
def replay_webhook_endpoint(call, endpoint_id):
    _endpoint(call, endpoint_id, manage=True)
    return call.rpc.webhooks.replay_since(endpoint_id, to_wire(call.body))


# --- deliveries --------------------------------------------------------------------------------
@route("GET", ENDPOINT + "/deliveries", roles=ROLES, query=schemas.DeliveriesQuery,
       response=page_of(schemas.DeliveryOut), tag=TAG,
       summary="The endpoint's delivery log: each delivery with its attempts, newest first")
def list_webhook_deliveries(call, endpoint_id):
    _endpoint(call, endpoint_id)
    return call.rpc.webhooks.list_deliveries({**to_wire(call.query), "endpoint_id": endpoint_id})


@route("GET", "/api/v1/webhooks/deliveries/<delivery_id>", roles=ROLES,
       response=schemas.DeliveryDetailOut, tag=TAG,
       summary="One delivery: its attempts and the body sent")
def get_webhook_delivery(call, delivery_id):
    return ownership.owned_by_its_owner(call.principal,
                                        call.rpc.webhooks.get_delivery(delivery_id))


@route("POST", "/api/v1/webhooks/deliveries/<delivery_id>/replay", roles=ROLES, keyless=True,
       response=schemas.DeliveryDetailOut, tag=TAG,
       summary="Send one delivery again (same webhook-id, a fresh retry schedule)")
def replay_webhook_delivery(call, delivery_id):
    ownership.owned_by_its_owner(call.principal, call.rpc.webhooks.get_delivery(delivery_id),
                                 manage=True)
    return call.rpc.webhooks.replay_delivery(delivery_id)


@route("GET", "/api/v1/webhooks/summary", roles=ROLES, query=schemas.SummaryQuery,
       response=schemas.SummaryOut, tag=TAG,
       summary="Totals: endpoints enabled and disabled; deliveries delivered, failing...")
def webhooks_summary(call):
    return call.rpc.webhooks.summary(_owner_filter(call))
