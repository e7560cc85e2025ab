"""A brand's API keys and users (its owners and admins), and every account (admins).

The ownership checks are the BFF's as for everything else: another brand's keys and
users answer 404 like missing ones; a brand's members may not manage (403); API keys
never reach these routes (keyless).
"""
from __future__ import annotations

from common.seedwork.errors import NotFound, ServiceUnavailable
from services.bff import errors, ownership
from services.bff.auth import ADMIN, BRAND
from services.bff.routing import route
from services.bff.schemas import identity as schemas
from services.bff.schemas.common import PageQuery, page_of

TAG = "identity"
MANAGERS = (ADMIN, BRAND)


def _brand_exists(call, brand_id: str) -> None:
    if call.principal.is_(ADMIN):  # a brand's own principals exist by construction
        try:
            call.rpc.campaigns.get_brand(brand_id)
        except NotFound:
            raise errors.not_found() from None


# --- API keys -------------------------------------------------------------------------------
@route("POST", "/api/v1/brands/<brand_id>/api-keys", roles=MANAGERS, keyless=True,
       body=schemas.ApiKeyBody, response=schemas.NewApiKeyOut, status=201, tag=TAG,
       summary="Create an API key for the brand's servers (the key is shown once)")
def create_api_key(call, brand_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    _brand_exists(call, brand_id)
    return call.rpc.identity.create_api_key({
        "brand_id": brand_id, "name": call.body["name"], "scopes": call.body["scopes"],
        "created_by": call.principal.actor})


@route("GET", "/api/v1/brands/<brand_id>/api-keys", roles=MANAGERS, keyless=True,
       query=PageQuery, response=page_of(schemas.ApiKeyOut), tag=TAG,
       summary="The brand's API keys (never their secret), newest first")
def list_api_keys(call, brand_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    return call.rpc.identity.list_api_keys({"brand_id": brand_id, **call.query})


@route("POST", "/api/v1/brands/<brand_id>/api-keys/<api_key_id>/revoke", roles=MANAGERS,
       keyless=True, response=schemas.ApiKeyOut, tag=TAG,
       summary="Revoke an API key: refused by every BFF instance within seconds")
def revoke_api_key(call, brand_id, api_key_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    revoked = call.rpc.identity.revoke_api_key({
        "brand_id": brand_id, "api_key_id": api_key_id, "revoked_by": call.principal.actor})
    call.edge.credentials.forget_api_key(api_key_id)
    return revoked


# --- brand users ----------------------------------------------------------------------------
@route("GET", "/api/v1/brands/<brand_id>/users", roles=MANAGERS, keyless=True,
       response=schemas.BrandUsersOut, tag=TAG,
       summary="The brand's users and pending invitations")
def list_brand_users(call, brand_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    return call.rpc.identity.list_brand_users(brand_id)


@route("POST", "/api/v1/brands/<brand_id>/invitations", roles=MANAGERS, keyless=True,
       body=schemas.InvitationBody, response=schemas.NewInvitationOut, status=201, tag=TAG,
       summary="Invite a brand user (owner or member): the link is emailed to them when "
               "the platform sends email, and its token is shown once")
def invite_brand_user(call, brand_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    return call.rpc.identity.invite_brand_user({
        "brand_id": brand_id, "email": call.body["email"],
        "brand_role": call.body["brand_role"], "invited_by": call.principal.actor,
        "brand_name": _brand_name(call, brand_id)})


def _brand_name(call, brand_id: str) -> str | None:
    """The brand's name, for the invitation's email. An admin's brand must exist; a
    brand's own principal invites even while campaigns cannot answer (the email then
    says "a brand's team")."""
    try:
        return call.rpc.campaigns.get_brand(brand_id)["name"]
    except NotFound:
        raise errors.not_found() from None
    except ServiceUnavailable:
        if call.principal.is_(ADMIN):
            raise
        return None


@route("POST", "/api/v1/brands/<brand_id>/invitations/<invitation_id>/revoke",
       roles=MANAGERS, keyless=True, response=schemas.InvitationOut, tag=TAG,
       summary="Revoke a pending invitation: its link no longer works (again: no change)")
def revoke_invitation(call, brand_id, invitation_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    return call.rpc.identity.revoke_invitation({"brand_id": brand_id,
                                                "invitation_id": invitation_id})


@route("POST", "/api/v1/brands/<brand_id>/users/<account_id>/remove", roles=MANAGERS,
       keyless=True, response=schemas.AccountOut, tag=TAG,
       summary="Remove a brand user: it cannot log in, its sessions end at once")
def remove_brand_user(call, brand_id, account_id):
    brand_id = ownership.brand_manager(call.principal, brand_id)
    removed = call.rpc.identity.remove_brand_user(brand_id, account_id)
    call.edge.credentials.forget_account(account_id)
    return removed


# --- accounts (admins) ----------------------------------------------------------------------
@route("POST", "/api/v1/admin/password-resets", roles=(ADMIN,), keyless=True,
       body=schemas.PasswordResetBody, response=schemas.NewPasswordResetOut, status=201,
       tag=TAG, summary="A password reset link's token for an account (admin; shown once): "
                        "its owner cannot sign in")
def issue_password_reset(call):
    return call.rpc.identity.issue_password_reset({"email": call.body["email"],
                                                   "issued_by": call.principal.actor})


@route("GET", "/api/v1/admin/accounts", roles=(ADMIN,), keyless=True,
       query=schemas.AccountsQuery, response=page_of(schemas.AccountOut), tag=TAG,
       summary="Every account (admin): partners, brand users, admins")
def list_accounts(call):
    return call.rpc.identity.list_accounts(call.query)
