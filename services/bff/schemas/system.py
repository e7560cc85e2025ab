"""Health and tokens."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.validation import Id
from services.bff.auth import BRAND, PARTNER
from services.bff.routing import Body


class ServiceHealth(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded", "unavailable"]})
    database = fields.String()


class HealthOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    broker = fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth),
                           required=True)


class TokenBody(Body):
    role = fields.String(required=True, validate=validate.OneOf((BRAND, PARTNER)), metadata={
        "description": "Admin tokens are minted only with the CLI, never over HTTP."})
    sub = Id(required=True, metadata={"description": "The brand or partner id."})
    ttl_seconds = fields.Integer(load_default=None, validate=validate.Range(min=1))


class TokenOut(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    role = fields.String(required=True)
    sub = fields.String(required=True)
