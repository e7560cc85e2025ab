"""Partners: public signup, profile, admin lifecycle."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.contracts.partners import KYC_STATUSES, PARTNER_STATUSES, PARTNER_TYPES
from common.validation import CountryCode
from services.bff.routing import ActorId, Body
from services.bff.schemas.common import PageQuery

PAYOUT_METHOD = {
    "description": 'How the partner is paid: {"type": "bank_transfer", "account_holder", '
                   '"iban", "bic"?} or {"type": "paypal", "email"}. Checked by the partners '
                   "service (IBAN checksum, BIC shape...)."}


class SignupBody(Body):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=320))
    type = fields.String(required=True, validate=validate.OneOf(PARTNER_TYPES))
    country = CountryCode(required=True)
    payout_method = fields.Dict(load_default=None, allow_none=True, metadata=PAYOUT_METHOD)
    password = fields.String(load_default=None, load_only=True,
                             validate=validate.Length(min=1, max=1024), metadata={
                                 "format": "password",
                                 "description": "With a password, an account is made too: "
                                                "log in with the email and this password "
                                                "(identity's policy: 12 characters or "
                                                "more by default)."})


class PartnerPatchBody(Body):
    payout_method = fields.Dict(required=True, metadata=PAYOUT_METHOD)
    partner_id = ActorId()


class SuspendBody(Body):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PartnersQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(PARTNER_STATUSES))
    type = fields.String(validate=validate.OneOf(PARTNER_TYPES))
    country = CountryCode()


class PartnerOut(Schema):
    partner_id = fields.String(required=True)
    name = fields.String()
    email = fields.String()
    type = fields.String(metadata={"enum": list(PARTNER_TYPES)})
    country = fields.String()
    status = fields.String(metadata={"enum": list(PARTNER_STATUSES)})
    kyc_status = fields.String(metadata={"enum": list(KYC_STATUSES)})
    payout_method = fields.Dict(allow_none=True)
    suspension_reason = fields.String(allow_none=True)
    registered_at = fields.String()
    updated_at = fields.String()
    revision = fields.Integer()


class AccessToken(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})


class SignupOut(Schema):
    partner = fields.Nested(PartnerOut, required=True)
    token = fields.Nested(AccessToken, allow_none=True, metadata={
        "description": "A partner token for the new account (absent when the server has "
                       "no signing secret)."})
    account = fields.Dict(allow_none=True, metadata={
        "description": "The account made with the password (absent without one): "
                       "account_id, email, role, partner_id, status, created_at."})
