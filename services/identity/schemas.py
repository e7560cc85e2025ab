"""Marshmallow schemas of the identity RPC payloads. Passwords are checked against the
policy by the use cases (the policy's numbers are configuration); here only their type
and an upper bound, so nothing huge reaches argon2."""
from __future__ import annotations

from marshmallow import fields, validate

from common.contracts.identity import BRAND_ROLES, ROLES, SCOPES
from common.validation import Id, Page, StrictSchema

DIGEST = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a credential digest.")
MAX_PASSWORD = 1024


def password_field():
    return fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


def email_field():
    return fields.Email(required=True, validate=validate.Length(max=320))


class NewAccountSchema(StrictSchema):
    email = email_field()
    password = password_field()


class PartnerAccountSchema(NewAccountSchema):
    partner_id = Id(required=True)


class WithdrawPartnerAccountSchema(StrictSchema):
    account_id = Id(required=True)
    partner_id = Id(required=True)


class ChangePasswordSchema(StrictSchema):
    account_id = Id(required=True)
    current_password = password_field()
    new_password = password_field()
    keep_session_id = Id(load_default=None, allow_none=True)


class IssuePasswordResetSchema(StrictSchema):
    email = email_field()
    issued_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RequestPasswordResetSchema(StrictSchema):
    email = email_field()
    ip = fields.String(required=True, validate=validate.Length(min=1, max=45))


class ResetPasswordSchema(StrictSchema):
    token_digest = fields.String(required=True, validate=DIGEST)
    password = password_field()


class LogInSchema(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = password_field()
    ip = fields.String(required=True, validate=validate.Length(min=1, max=64))
    user_agent = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=500))


class DigestSchema(StrictSchema):
    digest = fields.String(required=True, validate=DIGEST)


class AccountIdSchema(StrictSchema):
    account_id = Id(required=True)


class RecordUseSchema(StrictSchema):
    session_id = Id(load_default=None)
    api_key_id = Id(load_default=None)


class CreateApiKeySchema(StrictSchema):
    brand_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)))
    created_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RevokeApiKeySchema(StrictSchema):
    brand_id = Id(required=True)
    api_key_id = Id(required=True)
    revoked_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ListApiKeysSchema(Page):
    brand_id = Id(required=True)


class RevokeInvitationSchema(StrictSchema):
    brand_id = Id(required=True)
    invitation_id = Id(required=True)


class InviteSchema(StrictSchema):
    brand_id = Id(required=True)
    email = email_field()
    brand_role = fields.String(required=True, validate=validate.OneOf(BRAND_ROLES))
    invited_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    brand_name = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=200))


class AcceptInvitationSchema(StrictSchema):
    token_digest = fields.String(required=True, validate=DIGEST)
    password = password_field()


class BrandUserSchema(StrictSchema):
    brand_id = Id(required=True)
    account_id = Id(required=True)


class BrandIdSchema(StrictSchema):
    brand_id = Id(required=True)


class ListAccountsSchema(Page):
    role = fields.String(validate=validate.OneOf(ROLES))
    brand_id = Id()
    status = fields.String(validate=validate.OneOf(("ACTIVE", "REMOVED")))
