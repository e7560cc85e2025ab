"""Brands (admin creates) and dead letters (admin lists and replays)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.validation import CurrencyCode, StrictSchema
from services.bff.routing import Body


class BrandBody(Body):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    currency = CurrencyCode(required=True, metadata={"example": "USD"})


class BrandOut(Schema):
    brand_id = fields.String(required=True)
    name = fields.String()
    currency = fields.String()
    registered_at = fields.String()


class DeadLettersQuery(StrictSchema):
    service = fields.String(validate=validate.Regexp(r"^[a-z_]{1,40}$"))


class DeadLetterOut(Schema):
    id = fields.String(required=True)
    service = fields.String()
    handler = fields.String()
    queue = fields.String()
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": (
        "Why it is here: a poison reason (undecodable, content_type_not_accepted, "
        "malformed_envelope, unknown_event_type, unknown_version, contract_violation: "
        "dead-lettered at once) or handler_failed / rejected_by_handler.")})
    attempts = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True, metadata={
        "description": "The failure's message (the traceback stays in the operator CLI)."})
    failed_at = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)
    message = fields.Dict(metadata={"description": "The event envelope ({} when the body "
                                                   "is not one)."})
    raw_body = fields.Dict(metadata={"description": (
        "The body as received: {encoding: utf-8|base64, text}.")})
    refused = fields.String(allow_none=True, metadata={"description": (
        "On a replay: why the message was not replayed (its consumer would dead-letter "
        "it again at once).")})


class ReplayAllBody(Body):
    service = fields.String(validate=validate.Regexp(r"^[a-z_]{1,40}$"))


class ReplayOut(Schema):
    replayed = fields.List(fields.Nested(DeadLetterOut), required=True)
    refused = fields.List(fields.Nested(DeadLetterOut), required=True, metadata={
        "description": "Left in the dead letters: they would fail the same check again."})
