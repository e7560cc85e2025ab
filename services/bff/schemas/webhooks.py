"""Webhook endpoints, their deliveries and the delivery log (docs/webhooks.md)."""
from __future__ import annotations

import marshmallow
from marshmallow import Schema, fields, validate

from common.contracts.webhooks import DISABLE_REASONS, EVENT_TYPES, OWNER_TYPES, TEST_EVENT_TYPE
from common.validation import Id, StrictSchema, UTCDateTimeField
from services.bff.routing import Body
from services.bff.schemas.common import PageQuery

TYPE_NAMES = list(EVENT_TYPES)
ENDPOINT_STATUSES = ("ENABLED", "DISABLED")
DELIVERY_STATUSES = ("PENDING", "DELIVERED", "FAILED", "SKIPPED")
OUTCOMES = ("delivered", "http_error", "gone", "timeout", "connection_error", "refused")
MAX_URL = 2048
MAX_DESCRIPTION = 500
MAX_GRACE_SECONDS = 30 * 86400


def _event_types(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(TYPE_NAMES)),
                       validate=validate.Length(min=1, max=len(TYPE_NAMES)), metadata={
                           "description": "What the endpoint receives (GET "
                                          "/api/v1/webhooks/event-types)."}, **kwargs)


class EndpointBody(Body):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL), metadata={
        "description": "https (http only where the platform's configuration allows it); "
                       "its host must resolve to public addresses only.",
        "example": "https://hooks.acme.example/alpes"})
    event_types = _event_types(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=MAX_DESCRIPTION))
    brand_id = Id(load_default=None, allow_none=True, metadata={
        "description": "Admins: the brand that owns the endpoint. A brand's own "
                       "credentials decide for it (ignored)."})
    partner_id = Id(load_default=None, allow_none=True, metadata={
        "description": "Admins only: a partner's endpoint instead of a brand's."})


class EndpointChangeBody(Body):
    url = fields.String(validate=validate.Length(min=1, max=MAX_URL))
    event_types = _event_types()
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION))

    @marshmallow.validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise marshmallow.ValidationError(
                "Change at least one of url, event_types, description.", "_schema")


class RotateSecretBody(Body):
    grace_seconds = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(0, MAX_GRACE_SECONDS), metadata={
                                       "description": "How long the previous secret stays "
                                                      "valid (default: 24 h)."})


class ReplayBody(Body):
    since = UTCDateTimeField(required=True, metadata={
        "description": "Every delivery accepted at or after this time."})
    failed_only = fields.Boolean(load_default=False, metadata={
        "description": "Only the failed and skipped ones (default: delivered ones too)."})


class EndpointsQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ENDPOINT_STATUSES))
    brand_id = Id(metadata={"description": "Admins: one brand's endpoints."})
    partner_id = Id(metadata={"description": "Admins: one partner's endpoints."})


class DeliveriesQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    event_type = fields.String(validate=validate.OneOf([*EVENT_TYPES, TEST_EVENT_TYPE]))
    since = UTCDateTimeField(metadata={"description": "Accepted at or after this time."})


class SummaryQuery(StrictSchema):
    brand_id = Id(metadata={"description": "Admins: one brand's totals."})
    partner_id = Id(metadata={"description": "Admins: one partner's totals."})


class EndpointOut(Schema):
    endpoint_id = fields.String(required=True)
    owner_type = fields.String(metadata={"enum": list(OWNER_TYPES)})
    owner_id = fields.String()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(ENDPOINT_STATUSES)})
    disabled_reason = fields.String(allow_none=True, metadata={"enum": list(DISABLE_REASONS)})
    disabled_at = fields.String(allow_none=True)
    consecutive_failures = fields.Integer()
    failing_since = fields.String(allow_none=True)
    previous_secret_expires_at = fields.String(allow_none=True, metadata={
        "description": "Until then the previous secret signs too (after a rotation)."})
    created_at = fields.String()
    updated_at = fields.String()


class NewEndpointOut(EndpointOut):
    secret = fields.String(required=True, metadata={
        "description": "whsec_...: verify signatures with it. Shown this once."})


class AttemptOut(Schema):
    attempt = fields.Integer()
    started_at = fields.String()
    duration_ms = fields.Float()
    status_code = fields.Integer(allow_none=True)
    outcome = fields.String(metadata={"enum": list(OUTCOMES)})
    response_excerpt = fields.String(allow_none=True, metadata={
        "description": "The start of the receiver's answer (1 KiB at most)."})
    error = fields.String(allow_none=True)
    next_attempt_at = fields.String(allow_none=True)


class DeliveryOut(Schema):
    delivery_id = fields.String(required=True)
    webhook_id = fields.String(metadata={"description": "The webhook-id header: the same "
                                                        "on every attempt."})
    endpoint_id = fields.String()
    owner_type = fields.String(metadata={"enum": list(OWNER_TYPES)})
    owner_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    failing = fields.Boolean(metadata={"description": "Pending after a failed attempt."})
    attempts = fields.Integer()
    next_attempt_at = fields.String(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.String()
    occurred_at = fields.String()
    delivered_at = fields.String(allow_none=True)
    updated_at = fields.String()
    attempt_log = fields.List(fields.Nested(AttemptOut))


class DeliveryDetailOut(DeliveryOut):
    payload = fields.Dict(metadata={"description": "The body sent (docs/webhooks.md)."})


class ReplayOut(Schema):
    endpoint_id = fields.String()
    replayed = fields.Integer()


class DeletedOut(Schema):
    endpoint_id = fields.String()
    deleted = fields.Boolean()


class Totals(Schema):
    delivered = fields.Integer()
    pending = fields.Integer()
    failing = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()


class EndpointTotals(Totals):
    endpoint_id = fields.String()
    url = fields.String()
    status = fields.String(metadata={"enum": list(ENDPOINT_STATUSES)})


class EndpointCounts(Schema):
    total = fields.Integer()
    enabled = fields.Integer()
    disabled = fields.Integer()


class SummaryOut(Schema):
    endpoints = fields.Nested(EndpointCounts)
    deliveries = fields.Nested(Totals)
    by_endpoint = fields.List(fields.Nested(EndpointTotals))


class EventTypeOut(Schema):
    type = fields.String()
    description = fields.String()
    audiences = fields.List(fields.String())
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")


class EventTypesOut(Schema):
    items = fields.List(fields.Nested(EventTypeOut))
