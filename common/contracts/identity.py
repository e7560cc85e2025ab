"""Events (and shared errors and conventions) of the ``identity`` service.

Identity owns accounts (partners, brand users, admins), their password hashes, browser
sessions, API keys and invitations. Its events never carry a secret: no password or
hash of one, no key material, no session or invitation token -- sessions and keys are
named by opaque ids (UUIDs) that authenticate nothing.

The BFF and identity share two conventions here, so that presented credentials cross
the wire only as digests: ``secret_digest`` (what identity stores and looks up for API
keys, session tokens, CSRF tokens and invitation tokens) and ``csrf_token_for`` (the
synchronizer token of a session, derived from its cookie so it can be shown again).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.seedwork.errors import DomainError
from common.validation import Id, TolerantSchema, UTCDateTimeField

SOURCE = "identity"

ROLES = ("admin", "brand", "partner")
BRAND_ROLES = ("owner", "member")
SCOPES = ("conversions:write", "reports:read")
REVOCATION_REASONS = ("logout", "logout_all", "account_removed", "password_changed")

API_KEY_PREFIX = "ak_live_"
_CSRF_LABEL = b"alpes-csrf-v1"


def secret_digest(secret: str) -> str:
    """SHA-256 (hex) of a high-entropy secret: API keys, session, CSRF and invitation
    tokens are stored and looked up by it. (Passwords are argon2id, never this.)"""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token_for(session_token: str) -> str:
    """The session's CSRF token: HMAC-SHA256 keyed by the session token. Only the holder
    of the cookie can compute it; identity stores its digest with the session."""
    mac = hmac.new(session_token.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


# --- errors -------------------------------------------------------------------------------
class InvalidCredentials(DomainError):
    """``log_in``: the email is unknown, the password wrong or the account removed -- one
    answer for all, so an answer never tells which."""

    code = "invalid_credentials"
    default_message = "Wrong email or password."


class LoginThrottled(DomainError):
    """``log_in``: too many failed attempts for this email or from this address;
    ``fields.retry_after`` holds the seconds to wait (as text)."""

    code = "login_throttled"
    default_message = "Too many failed log-ins; retry later."


# --- payloads -----------------------------------------------------------------------------
class AccountCreatedPayload(TolerantSchema):
    account_id = Id(required=True)
    email = fields.Email(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    partner_id = Id(required=True, allow_none=True)
    brand_id = Id(required=True, allow_none=True)
    brand_role = fields.String(required=True, allow_none=True,
                               validate=validate.OneOf(BRAND_ROLES))
    created_at = UTCDateTimeField(required=True)


class AccountWithdrawnPayload(TolerantSchema):
    account_id = Id(required=True)
    email = fields.Email(required=True)
    partner_id = Id(required=True)
    withdrawn_at = UTCDateTimeField(required=True)


class ApiKeyCreatedPayload(TolerantSchema):
    api_key_id = Id(required=True)
    brand_id = Id(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True)
    created_by = fields.String(required=True)
    created_at = UTCDateTimeField(required=True)


class ApiKeyRevokedPayload(TolerantSchema):
    api_key_id = Id(required=True)
    brand_id = Id(required=True)
    revoked_by = fields.String(required=True)
    revoked_at = UTCDateTimeField(required=True)


class SessionRevokedPayload(TolerantSchema):
    account_id = Id(required=True)
    session_ids = fields.List(Id(), required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REVOCATION_REASONS))
    revoked_at = UTCDateTimeField(required=True)


ACCOUNT_CREATED = EventContract(
    SOURCE, "account_created", 1, AccountCreatedPayload,
    "An account was created: a partner's (at sign-up, bound to its partner_id), a brand "
    "user's (an invitation accepted, bound to its brand_id with its brand_role) or an "
    "admin's. No password or hash travels.")
ACCOUNT_WITHDRAWN = EventContract(
    SOURCE, "account_withdrawn", 1, AccountWithdrawnPayload,
    "A partner account made at sign-up was deleted because partners refused its partner "
    "(the email is another partner's, or the details are invalid): the sign-up was "
    "undone and the email is free again. Follows that account's account_created.")
API_KEY_CREATED = EventContract(
    SOURCE, "api_key_created", 1, ApiKeyCreatedPayload,
    "A brand's API key was issued (its id, name, display prefix and scopes; never the "
    "key itself, which is shown once to its creator).")
API_KEY_REVOKED = EventContract(
    SOURCE, "api_key_revoked", 1, ApiKeyRevokedPayload,
    "An API key was revoked: refused from now on. Every BFF instance drops it from its "
    "credential cache on this event (broadcast, best effort: the cache's TTL bounds a "
    "lost message).")
SESSION_REVOKED = EventContract(
    SOURCE, "session_revoked", 1, SessionRevokedPayload,
    "Browser sessions of an account were revoked (log-out, log-out everywhere, the "
    "account removed from its brand, its password changed: every session but the one "
    "that changed it), named by their opaque ids. Every BFF instance drops "
    "the account's cached sessions on this event (broadcast, best effort).")

CONTRACTS = (ACCOUNT_CREATED, ACCOUNT_WITHDRAWN, API_KEY_CREATED, API_KEY_REVOKED, SESSION_REVOKED)
