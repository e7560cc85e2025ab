"""Log-in, the current session, log-out (everywhere), passwords (changed, forgotten,
reset by a link), accepting an invitation.

The session lives in identity; the browser holds only its token, in an HttpOnly,
SameSite=Lax cookie (Secure when the request came over https), and reads the CSRF token
from the answers here (``X-CSRF-Token`` on every request that changes something).
"""
from __future__ import annotations

from datetime import UTC, datetime

from common.contracts.identity import (
    InvalidCredentials,
    LoginThrottled,
    csrf_token_for,
    secret_digest,
)
from services.bff import errors, pipeline, responses
from services.bff.api.tracking import user_agent_of
from services.bff.auth import PARTNER, ROLES, SESSION
from services.bff.credentials import SESSION_COOKIE
from services.bff.routing import route
from services.bff.schemas import identity as schemas

TAG = "auth"
MAX_USER_AGENT = 500
RESET_REQUESTED = ("If an account has this email, a link to choose a new password is on "
                   "its way.")


@route("POST", "/api/v1/auth/login", limit="login", body=schemas.LoginBody,
       response=schemas.LoginOut, tag=TAG, errors=(401, 403),
       summary="Log in with email and password: sets the session cookie, answers the CSRF "
               "token")
def log_in(call):
    try:
        answer = call.rpc.identity.log_in({
            "email": call.body["email"], "password": call.body["password"],
            "ip": call.client_ip, "user_agent": user_agent_of(call.request)[:MAX_USER_AGENT]})
    except InvalidCredentials:
        raise errors.ApiError(401, InvalidCredentials.code,
                              InvalidCredentials.default_message) from None
    except LoginThrottled as throttled:
        raise _too_many_attempts(throttled) from None
    account, session = answer["account"], answer["session"]
    token = session["token"]
    if account["role"] == PARTNER and call.edge.credentials.partner_suspended(
            account["partner_id"], call.rpc):
        call.rpc.identity.log_out(secret_digest(token))
        raise errors.account_suspended()
    body = schemas.LoginOut().dump({
        "account": account, "csrf_token": session["csrf_token"],
        "expires_at": session["expires_at"],
        "idle_timeout_seconds": session["idle_timeout_seconds"]})
    response = responses.json_response(body)
    response.set_cookie(SESSION_COOKIE, token, max_age=_seconds_left(session["expires_at"]),
                        path="/", httponly=True, samesite="Lax", secure=_secure(call))
    return response


@route("GET", "/api/v1/auth/session", roles=ROLES, keyless=True,
       response=schemas.SessionOut, tag=TAG,
       summary="Who is calling; for a session, its account and CSRF token")
def current_session(call):
    principal = call.principal
    account = None
    csrf = None
    if principal.via == SESSION:
        cookie = call.request.cookies.get(SESSION_COOKIE)
        account = call.rpc.identity.get_account(principal.account_id)
        csrf = csrf_token_for(cookie)
    return {"principal": {"role": principal.role, "subject": principal.subject,
                          "via": principal.via},
            "account": account, "csrf_token": csrf}


@route("POST", "/api/v1/auth/logout", roles=ROLES, keyless=True, response=schemas.LogoutOut,
       tag=TAG, summary="End this session (the cookie is cleared)")
def log_out(call):
    cookie = _session_cookie(call)
    answer = call.rpc.identity.log_out(secret_digest(cookie))
    call.edge.credentials.forget_session(cookie)
    return _cleared(call, answer)


@route("POST", "/api/v1/auth/logout-all", roles=ROLES, keyless=True,
       response=schemas.LogoutOut, tag=TAG,
       summary="End every session of this account, on every device")
def log_out_everywhere(call):
    _session_cookie(call)
    answer = call.rpc.identity.log_out_everywhere(call.principal.account_id)
    call.edge.credentials.forget_account(call.principal.account_id)
    return _cleared(call, answer)


@route("POST", "/api/v1/auth/password", roles=ROLES, keyless=True, limit="login",
       body=schemas.ChangePasswordBody, response=schemas.ChangePasswordOut, tag=TAG,
       errors=(403,), summary="Change this account's password (a browser session: the "
                              "current password too); its other sessions end")
def change_password(call):
    _session_cookie(call, "Only a signed-in account has a password to change.")
    try:
        answer = call.rpc.identity.change_password({
            "account_id": call.principal.account_id,
            "current_password": call.body["current_password"],
            "new_password": call.body["new_password"],
            "keep_session_id": call.principal.credential_id})
    except LoginThrottled as throttled:
        raise _too_many_attempts(throttled) from None
    call.edge.credentials.forget_account(call.principal.account_id)
    return answer


@route("POST", "/api/v1/auth/password-reset", limit="signup", body=schemas.ResetPasswordBody,
       response=schemas.AccountOut, tag=TAG,
       summary="Choose a new password with a reset link's token (public; then log in): "
               "every session of the account ends")
def reset_password(call):
    account = call.rpc.identity.reset_password({
        "token_digest": secret_digest(call.body["token"]), "password": call.body["password"]})
    call.edge.credentials.forget_account(account["account_id"])
    return account


@route("POST", "/api/v1/auth/password-reset-requests", limit="signup",
       body=schemas.PasswordResetBody, response=schemas.PasswordResetRequestedOut,
       status=202, tag=TAG,
       summary="Forgot the password: a reset link is emailed to the account with this "
               "email, if there is one (public; the same answer either way)")
def request_password_reset(call):
    call.rpc.identity.request_password_reset({"email": call.body["email"],
                                              "ip": call.client_ip})
    return {"status": "requested", "message": RESET_REQUESTED}


@route("POST", "/api/v1/auth/invitations/accept", limit="signup",
       body=schemas.AcceptInvitationBody, response=schemas.AccountOut, status=201, tag=TAG,
       summary="Accept a brand user's invitation: choose a password (then log in)")
def accept_invitation(call):
    return call.rpc.identity.accept_invitation({
        "token_digest": secret_digest(call.body["token"]), "password": call.body["password"]})


def _too_many_attempts(throttled: LoginThrottled) -> errors.ApiError:
    retry_after = (throttled.fields.get("retry_after") or ["60"])[0]
    return errors.ApiError(429, "too_many_attempts", LoginThrottled.default_message,
                           headers={"Retry-After": str(retry_after)})


def _session_cookie(call, refusal: str = "Only a browser session can log out; bearer "
                                         "tokens end when they expire.") -> str:
    if call.principal.via != SESSION:
        raise errors.ApiError(403, "session_required", refusal)
    return call.request.cookies[SESSION_COOKIE]


def _cleared(call, answer: dict):
    response = responses.json_response(schemas.LogoutOut().dump(answer))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=_secure(call))
    return response


def _secure(call) -> bool:
    return pipeline.is_https(call.request, call.settings.trust_forwarded_for)


def _seconds_left(moment: str) -> int:
    ends = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return max(0, int((ends - datetime.now(UTC)).total_seconds()))

