"""Accounts, log-in, sessions, API keys, brand users and invitations."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.contracts.identity import BRAND_ROLES, ROLES, SCOPES
from common.validation import Id
from services.bff.routing import Body
from services.bff.schemas.common import PageQuery

MAX_PASSWORD = 1024


def password(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=MAX_PASSWORD), load_only=True,
                         metadata={"format": "password"}, **kwargs)


class LoginBody(Body):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = password(required=True)


class AccountOut(Schema):
    account_id = fields.String(required=True)
    email = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    partner_id = fields.String(allow_none=True)
    brand_id = fields.String(allow_none=True)
    brand_role = fields.String(allow_none=True, metadata={"enum": list(BRAND_ROLES)})
    status = fields.String(metadata={"enum": ["ACTIVE", "REMOVED"]})
    created_at = fields.String()


class LoginOut(Schema):
    account = fields.Nested(AccountOut, required=True)
    csrf_token = fields.String(required=True, metadata={
        "description": "Send it as X-CSRF-Token with every request that changes something."})
    expires_at = fields.String(required=True, metadata={
        "description": "The session's absolute end (it also ends when idle too long)."})
    idle_timeout_seconds = fields.Integer(required=True)


class PrincipalOut(Schema):
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    subject = fields.String(required=True)
    via = fields.String(required=True, metadata={"enum": ["bearer", "session", "api_key"]})


class SessionOut(Schema):
    principal = fields.Nested(PrincipalOut, required=True)
    account = fields.Nested(AccountOut, allow_none=True)
    csrf_token = fields.String(allow_none=True, metadata={
        "description": "The session's CSRF token (null for bearer tokens)."})


class LogoutOut(Schema):
    revoked = fields.Integer(required=True, metadata={"description": "Sessions ended."})


class ChangePasswordBody(Body):
    current_password = password(required=True)
    new_password = password(required=True)


class ChangePasswordOut(Schema):
    revoked = fields.Integer(required=True, metadata={
        "description": "The account's other sessions, ended (this one stays)."})


class ApiKeyBody(Body):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)))


class ApiKeyOut(Schema):
    api_key_id = fields.String(required=True)
    brand_id = fields.String()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The key's public start, to tell keys "
                                                    "apart (the secret is never shown again)."})
    scopes = fields.List(fields.String(metadata={"enum": list(SCOPES)}))
    status = fields.String(metadata={"enum": ["ACTIVE", "REVOKED"]})
    created_by = fields.String()
    created_at = fields.String()
    last_used_at = fields.String(allow_none=True, metadata={
        "description": "Recorded at most once a minute."})
    revoked_at = fields.String(allow_none=True)


class NewApiKeyOut(Schema):
    api_key = fields.Nested(ApiKeyOut, required=True)
    key = fields.String(required=True, metadata={
        "description": "The key itself, shown this once: store it now."})


class InvitationBody(Body):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    brand_role = fields.String(required=True, validate=validate.OneOf(BRAND_ROLES))


class InvitationOut(Schema):
    invitation_id = fields.String(required=True)
    brand_id = fields.String()
    email = fields.String()
    brand_role = fields.String(metadata={"enum": list(BRAND_ROLES)})
    invited_by = fields.String()
    created_at = fields.String()
    expires_at = fields.String()


class NewInvitationOut(Schema):
    invitation = fields.Nested(InvitationOut, required=True)
    token = fields.String(required=True, metadata={
        "description": "Shown this once: the person invited accepts with it (POST "
                       "/api/v1/auth/invitations/accept), through the link emailed to them "
                       "or one the inviter hands over."})
    emailed = fields.Boolean(required=True, metadata={
        "description": "True when the link was emailed to the person invited (the "
                       "platform sends email); false: hand it over."})


class PasswordResetBody(Body):
    email = fields.Email(required=True, validate=validate.Length(max=320))


class NewPasswordResetOut(Schema):
    account = fields.Nested(AccountOut, required=True)
    token = fields.String(required=True, metadata={
        "description": "Give it to the account's owner (shown this once), as the link "
                       "<PUBLIC_BASE_URL>/app/reset#token=<token>: they choose a new password "
                       "with POST /api/v1/auth/password-reset."})
    expires_at = fields.String(required=True)


class PasswordResetRequestedOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["requested"]})
    message = fields.String(required=True, metadata={
        "description": "The same whether an account has this email or not."})


class ResetPasswordBody(Body):
    token = fields.String(required=True, load_only=True,
                          validate=validate.Length(min=1, max=200))
    password = password(required=True)


class AcceptInvitationBody(Body):
    token = fields.String(required=True, load_only=True,
                          validate=validate.Length(min=1, max=200))
    password = password(required=True)


class BrandUsersOut(Schema):
    items = fields.List(fields.Nested(AccountOut), required=True)
    invitations = fields.List(fields.Nested(InvitationOut), required=True)


class AccountsQuery(PageQuery):
    role = fields.String(validate=validate.OneOf(ROLES))
    brand_id = Id()
    status = fields.String(validate=validate.OneOf(("ACTIVE", "REMOVED")))
