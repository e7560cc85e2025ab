"""Marshmallow schemas of the webhooks RPC payloads."""
from __future__ import annotations

import marshmallow
from marshmallow import fields, validate

from common.contracts.webhooks import OWNER_TYPES
from common.validation import Id, Page, StrictSchema, UTCDateTimeField
from services.webhooks.domain.catalogue import BY_NAME
from services.webhooks.domain.delivery import DeliveryStatus
from services.webhooks.domain.destinations import MAX_URL_LENGTH
from services.webhooks.domain.endpoint import MAX_DESCRIPTION, MAX_EVENT_TYPES, EndpointStatus

URL = validate.Length(min=1, max=MAX_URL_LENGTH)
EVENT_TYPES = validate.Length(min=1, max=MAX_EVENT_TYPES)
MAX_GRACE_SECONDS = 30 * 86400


def _event_type_list(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=50)),
                       validate=EVENT_TYPES, **kwargs)


class EndpointIdSchema(StrictSchema):
    endpoint_id = Id(required=True)


class DeliveryIdSchema(StrictSchema):
    delivery_id = Id(required=True)


class CreateEndpointSchema(StrictSchema):
    owner_type = fields.String(required=True, validate=validate.OneOf(OWNER_TYPES))
    owner_id = Id(required=True)
    url = fields.String(required=True, validate=URL)
    event_types = _event_type_list(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=MAX_DESCRIPTION))


class UpdateEndpointSchema(EndpointIdSchema):
    url = fields.String(validate=URL)
    event_types = _event_type_list()
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION))

    @marshmallow.validates_schema
    def _something_to_change(self, data, **kwargs):
        if not {"url", "event_types", "description"} & set(data):
            raise marshmallow.ValidationError(
                "Change at least one of url, event_types, description.", "_schema")


class RotateSecretSchema(EndpointIdSchema):
    grace_seconds = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(0, MAX_GRACE_SECONDS))


class ReplaySinceSchema(EndpointIdSchema):
    since = UTCDateTimeField(required=True)
    failed_only = fields.Boolean(load_default=False)


class ListEndpointsSchema(Page):
    owner_type = fields.String(validate=validate.OneOf(OWNER_TYPES))
    owner_id = Id()
    status = fields.String(validate=validate.OneOf([s.value for s in EndpointStatus]))


class ListDeliveriesSchema(Page):
    endpoint_id = Id(required=True)
    status = fields.String(validate=validate.OneOf([s.value for s in DeliveryStatus]))
    event_type = fields.String(validate=validate.OneOf(sorted(BY_NAME)))
    since = UTCDateTimeField()


class SummarySchema(StrictSchema):
    owner_type = fields.String(validate=validate.OneOf(OWNER_TYPES))
    owner_id = Id()


class EventTypesSchema(StrictSchema):
    owner_type = fields.String(load_default=None, allow_none=True,
                               validate=validate.OneOf(OWNER_TYPES))
