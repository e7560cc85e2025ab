"""Identity use cases: one small function each.

Passwords are verified and hashed *outside* any write transaction (argon2 takes tens of
milliseconds on purpose; the database lock is not held meanwhile); what they decide is
written in a short unit of work after.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from common.contracts.identity import InvalidCredentials, LoginThrottled
from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.entity import new_id
from common.seedwork.errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from services.identity.application import commands, credentials, queries, views
from services.identity.application.mail import (
    app_link,
    app_page,
    application_decided_mail,
    application_mail,
    bonus_mail,
    code_changed_mail,
    commission_changed_mail,
    commission_declined_mail,
    invitation_mail,
    link_changed_mail,
    payout_mail,
    reset_link_mail,
)
from services.identity.application.ports import (
    IdentityUnitOfWork,
    Mailer,
    MailMessage,
    PartnerDirectory,
    PasswordHasher,
)
from services.identity.application.settings import IdentitySettings
from services.identity.domain.accounts import (
    Account,
    BrandRole,
    RevocationReason,
    Role,
    normalize_email,
)
from services.identity.domain.api_keys import ApiKey
from services.identity.domain.invitations import Invitation
from services.identity.domain.password_resets import UNUSABLE as RESET_UNUSABLE
from services.identity.domain.password_resets import PasswordReset
from services.identity.domain.sessions import Session
from services.identity.domain.throttling import LoginThrottle

HANDLERS = HandlerRegistry()
EMAIL_TAKEN = "Already has an account."


def _check_password(settings: IdentitySettings, password: str, email: str,
                    field: str = "password") -> None:
    problems = settings.password.problems(password, email)
    if problems:
        raise ValidationError(fields={field: problems})


def _email_free(uow: IdentityUnitOfWork, email: str) -> None:
    with uow.peek():
        taken = uow.accounts.get_by_email(email) is not None
    if taken:
        raise Conflict("This email already has an account.", {"email": [EMAIL_TAKEN]})


def account_dto(account: Account) -> dict:
    return views.account_of(account)


# --- accounts -----------------------------------------------------------------------------
@HANDLERS.query(queries.CheckNewAccount)
def check_new_account(query: queries.CheckNewAccount, uow: IdentityUnitOfWork,
                      settings: IdentitySettings) -> dict:
    """Would this account be made (password policy, email free)? Changes nothing."""
    email = normalize_email(query.email)
    _check_password(settings, query.password, email)
    _email_free(uow, email)
    return {"email": email}


@HANDLERS.command(commands.CreateAdmin)
def create_admin(cmd: commands.CreateAdmin, uow: IdentityUnitOfWork, hasher: PasswordHasher,
                 settings: IdentitySettings, clock) -> dict:
    email = normalize_email(cmd.email)
    _check_password(settings, cmd.password, email)
    _email_free(uow, email)
    password_hash = hasher.hash(cmd.password)
    with uow:
        account = Account.admin(email=email, password_hash=password_hash, now=clock())
        uow.accounts.add(account)  # Conflict if the email was taken meanwhile
        uow.commit()
    return account_dto(account)


@HANDLERS.command(commands.CreatePartnerAccount)
def create_partner_account(cmd: commands.CreatePartnerAccount, uow: IdentityUnitOfWork,
                           hasher: PasswordHasher, settings: IdentitySettings, clock) -> dict:
    """Sign-up's first step: the account, bound to the partner id sign-up chose before
    registering the partner. The email's own partner account again, with its password,
    is a sign-up being finished after a failure: that account is answered (bound to the
    partner id it was made for), so only whoever set the password can finish it. Any
    other taken email is a conflict; wrong passwords count towards the log-in lock-out
    (``log_in``'s throttles), as a log-in's would."""
    email = normalize_email(cmd.email)
    _check_password(settings, cmd.password, email)
    with uow.peek():
        existing = uow.accounts.get_by_email(email)
    if existing is not None:
        finished = _finishing_sign_up(uow, hasher, settings, clock, existing, cmd)
        if finished is not None:
            return finished
        # withdrawn by the sweep meanwhile: this sign-up starts afresh
    password_hash = hasher.hash(cmd.password)
    with uow:
        account = Account.partner(email=email, partner_id=cmd.partner_id,
                                  password_hash=password_hash, now=clock())
        uow.accounts.add(account)  # Conflict if the email was taken meanwhile
        uow.commit()
    return account_dto(account)


def _finishing_sign_up(uow: IdentityUnitOfWork, hasher: PasswordHasher,
                       settings: IdentitySettings, clock, account: Account,
                       cmd: commands.CreatePartnerAccount) -> dict | None:
    email_key = _email_key(account.email)
    _unless_locked_out(uow, email_key, clock())
    matches = hasher.verify(account.password_hash, cmd.password)  # the same work for all
    if matches and account.active and account.role is Role.PARTNER:
        if account.awaiting_partner and not _resume_sign_up(uow, account.id, clock()):
            return None  # the sweep withdrew it since it was read
        return account_dto(account)
    if not matches:
        _failed(uow, settings, clock(), {email_key: settings.account_throttle})
    raise Conflict("This email already has an account.", {"email": [EMAIL_TAKEN]})


def _resume_sign_up(uow: IdentityUnitOfWork, account_id: str, now: datetime) -> bool:
    """A sign-up being finished is not abandoned: the sweep waits its full delay again
    before asking partners about it (so it never withdraws an account whose partner is
    being registered right now). False: the sweep withdrew it first."""
    with uow:
        account = uow.accounts.get(account_id, for_update=True)
        if account is None:
            return False
        if account.awaiting_partner:
            account.sign_up_resumed(now)
            uow.accounts.save(account)
        uow.commit()
    return True


def _unless_locked_out(uow: IdentityUnitOfWork, email_key: str, now: datetime) -> None:
    """``LoginThrottled`` while the email's log-in lock-out lasts: a password proves
    nothing meanwhile, whatever asks for it."""
    with uow.peek():
        lock = uow.throttles.get(email_key)
    if lock and (wait := lock.retry_after(now)):
        raise LoginThrottled(fields={"retry_after": [str(wait)]})


@HANDLERS.command(commands.WithdrawPartnerAccount)
def withdraw_partner_account(cmd: commands.WithdrawPartnerAccount, uow: IdentityUnitOfWork,
                             clock) -> bool:
    """Sign-up undone: partners refused the partner this account was made for (its email
    is another partner's, or its details are invalid). Deletes the account only if it is
    a partner account made for that partner id; True if it did (False: nothing to undo)."""
    with uow:
        account = uow.accounts.get(cmd.account_id, for_update=True)
        if account is None or not account.made_for_partner(cmd.partner_id):
            return False
        account.withdraw(clock())
        uow.accounts.delete(account)
        uow.commit()
    return True


# --- log-in and sessions --------------------------------------------------------------------
def _email_key(email: str) -> str:
    return f"email:{credentials.secret_digest(email)}"


def _throttle_keys(email: str, ip: str) -> list[str]:
    return [_email_key(email), f"ip:{ip}"]


@HANDLERS.command(commands.LogIn)
def log_in(cmd: commands.LogIn, uow: IdentityUnitOfWork, hasher: PasswordHasher,
           settings: IdentitySettings, clock) -> dict:
    """Same answer, and the same work (one argon2 verification, one write), for an
    unknown email, a wrong password and a removed account."""
    email, now = normalize_email(cmd.email), clock()
    email_key, ip_key = _throttle_keys(email, cmd.ip)
    with uow.peek():
        locks = [uow.throttles.get(key) for key in (email_key, ip_key)]
        account = uow.accounts.get_by_email(email)
    waits = [wait for lock in locks if lock and (wait := lock.retry_after(now))]
    if waits:
        raise LoginThrottled(fields={"retry_after": [str(max(waits))]})
    matches = hasher.verify(account.password_hash if account else None, cmd.password)
    if not (matches and account is not None and account.active):
        _failed(uow, settings, clock(), {email_key: settings.account_throttle,
                                         ip_key: settings.ip_throttle})
        raise InvalidCredentials()
    new_hash = hasher.hash(cmd.password) if hasher.needs_rehash(account.password_hash) else None
    token = credentials.new_session_token()
    with uow:
        account = uow.accounts.get(account.id, for_update=True)
        if account is None or not account.active:  # removed meanwhile
            raise InvalidCredentials()
        now = clock()
        if new_hash:
            account.rehash(new_hash, now)
            uow.accounts.save(account)
        _lift_lock_out(uow, email_key)
        session = Session.open(
            account_id=account.id, token_digest=credentials.secret_digest(token),
            csrf_digest=credentials.secret_digest(credentials.csrf_token_for(token)), now=now,
            lifetime=settings.session_lifetime, ip=cmd.ip, user_agent=cmd.user_agent)
        uow.sessions.add(session)
        uow.commit()
    return {"account": account_dto(account),
            "session": {"session_id": session.id, "token": token,
                        "csrf_token": credentials.csrf_token_for(token),
                        "expires_at": views.text(session.expires_at),
                        "valid_until": views.text(session.valid_until(settings.session_idle)),
                        "idle_timeout_seconds": int(settings.session_idle.total_seconds())}}


def _failed(uow: IdentityUnitOfWork, settings: IdentitySettings, now: datetime,
            policies: dict) -> None:
    with uow:
        for key, policy in policies.items():
            throttle = uow.throttles.get(key, for_update=True) or LoginThrottle(key=key)
            throttle.fail(now, policy)
            uow.throttles.put(throttle)
        uow.commit()


@HANDLERS.query(queries.AuthenticateSession)
def authenticate_session(query: queries.AuthenticateSession, uow: IdentityUnitOfWork,
                         settings: IdentitySettings, clock) -> dict | None:
    """The open session of this token digest and its account, or None."""
    now = clock()
    with uow.peek():
        session = uow.sessions.get_by_token(query.token_digest)
        account = uow.accounts.get(session.account_id) if session else None
    if session is None or account is None or not account.active \
            or not session.is_open(now, settings.session_idle):
        return None
    return {"session_id": session.id, "account": account_dto(account),
            "csrf_digest": session.csrf_digest,
            "valid_until": views.text(session.valid_until(settings.session_idle)),
            "touch_due": session.touch_due(now, settings.touch_interval)}


@HANDLERS.command(commands.LogOut)
def log_out(cmd: commands.LogOut, uow: IdentityUnitOfWork, clock) -> dict:
    with uow:
        session = uow.sessions.get_by_token(cmd.token_digest)
        account = uow.accounts.get(session.account_id, for_update=True) if session else None
        revoked = account.revoke_sessions([session], RevocationReason.LOGOUT, clock()) \
            if account else []
        for found in ([session] if revoked else []):
            uow.sessions.save(found)
        if revoked:
            uow.accounts.save(account)
        uow.commit()
    return {"revoked": len(revoked)}


@HANDLERS.command(commands.ChangePassword)
def change_password(cmd: commands.ChangePassword, uow: IdentityUnitOfWork,
                    hasher: PasswordHasher, settings: IdentitySettings, clock) -> dict:
    """A signed-in account's new password. The current one proves it is the owner (a
    wrong one counts towards the log-in lock-out, and none is tried while it lasts); the
    new one passes the policy and differs from it. Every other session of the account
    ends. Nothing changes on a refusal."""
    with uow.peek():
        account = uow.accounts.get(cmd.account_id)
    if account is None or not account.active:
        raise NotFound(fields={"account_id": ["Unknown."]})
    email_key = _email_key(account.email)
    _unless_locked_out(uow, email_key, clock())
    if not hasher.verify(account.password_hash, cmd.current_password):
        _failed(uow, settings, clock(), {email_key: settings.account_throttle})
        raise ValidationError("Wrong password.", {"current_password": ["Wrong password."]})
    _check_password(settings, cmd.new_password, account.email, field="new_password")
    if cmd.new_password == cmd.current_password:
        raise ValidationError(fields={"new_password": ["Must differ from the current one."]})
    password_hash = hasher.hash(cmd.new_password)
    with uow:
        account = uow.accounts.get(cmd.account_id, for_update=True)
        if account is None or not account.active:  # removed meanwhile
            raise NotFound(fields={"account_id": ["Unknown."]})
        revoked = _set_password(uow, account, password_hash, keep=cmd.keep_session_id,
                                now=clock())
        uow.commit()
    return {"revoked": len(revoked)}


REQUESTED = {"requested": True}  # the one answer: whose email it is never shows
SELF_SERVICE = "self-service"  # a reset's issued_by when its owner asked (then the IP)


@HANDLERS.command(commands.IssuePasswordReset)
def issue_password_reset(cmd: commands.IssuePasswordReset, uow: IdentityUnitOfWork,
                         settings: IdentitySettings, clock) -> dict:
    """A reset link's token for the account with this email (an operator's answer to
    "I cannot sign in"); the account's older unused links stop working."""
    email = normalize_email(cmd.email)
    with uow.peek():
        account = uow.accounts.get_by_email(email)
    if account is None or not account.active:
        raise NotFound("No account has this email.", {"email": ["No account."]})
    token, reset = _issue_reset(uow, account, cmd.issued_by, settings, clock)
    return {"account": account_dto(account), "token": token,
            "expires_at": views.text(reset.expires_at)}


@HANDLERS.command(commands.RequestPasswordReset)
def request_password_reset(cmd: commands.RequestPasswordReset, uow: IdentityUnitOfWork,
                           settings: IdentitySettings, clock, mailer: Mailer | None) -> dict:
    """The owner forgot the password: a reset link emailed to the account with this
    email. The answer is the same whether or not an account has it (nothing tells who
    has one); an inactive account, or one sent a link less than the interval ago, gets
    nothing. The link voids the account's older ones, as an operator's does. No mail
    transport configured: ``ServiceUnavailable`` for every email alike."""
    if mailer is None:
        raise ServiceUnavailable("This platform sends no email: ask an operator for a "
                                 "reset link.")
    with uow.peek():
        account = uow.accounts.get_by_email(normalize_email(cmd.email))
        last = uow.password_resets.last_issued_at(account.id) if account else None
    if account is None or not account.active:
        return dict(REQUESTED)
    if last is not None and clock() - last < settings.password_reset_request_interval:
        return dict(REQUESTED)
    token, reset = _issue_reset(uow, account, f"{SELF_SERVICE}:{cmd.ip}", settings, clock)
    mailer.send(reset_link_mail(account.email,
                                app_link(settings.public_base_url, "reset", token),
                                reset.expires_at))
    return dict(REQUESTED)


def _issue_reset(uow: IdentityUnitOfWork, account, issued_by: str,
                 settings: IdentitySettings, clock) -> tuple[str, PasswordReset]:
    """A new reset link's token for the account; its older unused links stop working."""
    token = credentials.new_reset_token()
    with uow:
        now = clock()
        uow.password_resets.void_unused(account.id, now)
        reset = PasswordReset.issue(account_id=account.id,
                                    token_digest=credentials.secret_digest(token),
                                    issued_by=issued_by, now=now,
                                    lifetime=settings.password_reset_lifetime)
        uow.password_resets.add(reset)
        uow.commit()
    return token, reset


@HANDLERS.command(commands.ResetPassword)
def reset_password(cmd: commands.ResetPassword, uow: IdentityUnitOfWork,
                   hasher: PasswordHasher, settings: IdentitySettings, clock) -> dict:
    """The new password chosen through a reset link (used once, before it expires): every
    session of the account ends, and its log-in lock-out is lifted -- the operator gave
    the link to the account's owner."""
    with uow.peek():
        reset = uow.password_resets.get_by_token(cmd.token_digest)
        account = uow.accounts.get(reset.account_id) if reset else None
    if reset is None or account is None or not account.active or not reset.usable(clock()):
        raise ValidationError(fields={"token": [RESET_UNUSABLE]})
    _check_password(settings, cmd.password, account.email)
    password_hash = hasher.hash(cmd.password)
    with uow:
        reset = uow.password_resets.get_by_token(cmd.token_digest)
        account = uow.accounts.get(reset.account_id, for_update=True)
        now = clock()
        reset.use(now)  # refused if used meanwhile (and the version check: one use wins)
        _set_password(uow, account, password_hash, keep=None, now=now)
        uow.password_resets.save(reset)
        _lift_lock_out(uow, _email_key(account.email))
        uow.commit()
    return account_dto(account)


def _set_password(uow: IdentityUnitOfWork, account: Account, password_hash: str, *,
                  keep: str | None, now: datetime) -> list[str]:
    """The account's new password stored, its open sessions but ``keep`` revoked."""
    sessions = uow.sessions.open_of(account.id)
    revoked = account.change_password(password_hash, sessions, keep=keep, now=now)
    _save_revoked(uow, sessions, revoked)
    uow.accounts.save(account)
    return revoked


def _lift_lock_out(uow: IdentityUnitOfWork, email_key: str) -> None:
    """The email's failures forgotten and any lock-out lifted (a log-in that succeeded,
    a password reset)."""
    throttle = uow.throttles.get(email_key, for_update=True)
    if throttle is not None and (throttle.failures or throttle.locked_until):
        throttle.reset()
        uow.throttles.put(throttle)


@HANDLERS.command(commands.LogOutEverywhere)
def log_out_everywhere(cmd: commands.LogOutEverywhere, uow: IdentityUnitOfWork,
                       clock) -> dict:
    with uow:
        account = uow.accounts.get(cmd.account_id, for_update=True)
        if account is None:
            raise NotFound(fields={"account_id": ["Unknown."]})
        revoked = _revoke_all(uow, account, RevocationReason.LOGOUT_ALL, clock())
        uow.commit()
    return {"revoked": len(revoked)}


def _revoke_all(uow: IdentityUnitOfWork, account: Account, reason: RevocationReason,
                now: datetime) -> list[str]:
    sessions = uow.sessions.open_of(account.id)
    revoked = account.revoke_sessions(sessions, reason, now)
    _save_revoked(uow, sessions, revoked)
    if revoked:
        uow.accounts.save(account)
    return revoked


def _save_revoked(uow: IdentityUnitOfWork, sessions: list[Session], revoked: list[str]) -> None:
    for session in sessions:
        if session.id in revoked:
            uow.sessions.save(session)


@HANDLERS.command(commands.RecordUse)
def record_use(cmd: commands.RecordUse, uow: IdentityUnitOfWork, settings: IdentitySettings,
               clock) -> None:
    """Last seen (a session) or last used (an API key), written at most once per
    ``touch_interval`` however many BFF instances report it."""
    now = clock()
    with uow:
        if cmd.session_id:
            session = uow.sessions.get(cmd.session_id, for_update=True)
            if session is not None and session.touch(now, settings.touch_interval):
                uow.sessions.save(session)
        if cmd.api_key_id:
            key = uow.api_keys.get(cmd.api_key_id, for_update=True)
            if key is not None and key.touch(now, settings.touch_interval):
                uow.api_keys.save(key)
        uow.commit()


# --- API keys -------------------------------------------------------------------------------
@HANDLERS.command(commands.CreateApiKey)
def create_api_key(cmd: commands.CreateApiKey, uow: IdentityUnitOfWork, clock) -> dict:
    api_key_id = new_id()
    secret = credentials.new_api_key(api_key_id)
    with uow:
        key = ApiKey.issue(id=api_key_id, brand_id=cmd.brand_id, name=cmd.name,
                           prefix=credentials.key_prefix(api_key_id),
                           secret_digest=credentials.secret_digest(secret),
                           scopes=cmd.scopes, created_by=cmd.created_by, now=clock())
        uow.api_keys.add(key)
        uow.commit()
    return {"api_key": views.api_key_of(key), "key": secret}


@HANDLERS.command(commands.RevokeApiKey)
def revoke_api_key(cmd: commands.RevokeApiKey, uow: IdentityUnitOfWork, clock) -> dict:
    with uow:
        key = uow.api_keys.get(cmd.api_key_id, for_update=True)
        if key is None or key.brand_id != cmd.brand_id:
            raise NotFound(fields={"api_key_id": ["Unknown."]})
        if key.revoke(clock(), cmd.revoked_by):
            uow.api_keys.save(key)
        uow.commit()
    return views.api_key_of(key)


@HANDLERS.query(queries.AuthenticateApiKey)
def authenticate_api_key(query: queries.AuthenticateApiKey, uow: IdentityUnitOfWork,
                         settings: IdentitySettings, clock) -> dict | None:
    with uow.peek():
        key = uow.api_keys.get_by_digest(query.key_digest)
    if key is None or not key.active:
        return None
    return {"api_key_id": key.id, "brand_id": key.brand_id, "scopes": list(key.scopes),
            "touch_due": key.touch_due(clock(), settings.touch_interval)}


@HANDLERS.query(queries.ListApiKeys)
def list_api_keys(query: queries.ListApiKeys, uow: IdentityUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.api_keys_page(conn, query)


# --- brand users ----------------------------------------------------------------------------
@HANDLERS.command(commands.InviteBrandUser)
def invite_brand_user(cmd: commands.InviteBrandUser, uow: IdentityUnitOfWork,
                      settings: IdentitySettings, clock, mailer: Mailer | None) -> dict:
    """An invitation to join a brand's team. Its token is answered this once (the
    inviter may hand the link over) and, when a mail transport is configured, the link
    is also emailed to the person invited (``emailed``)."""
    email = normalize_email(cmd.email)
    _email_free(uow, email)
    token = credentials.new_invitation_token()
    with uow:
        invitation = Invitation.issue(
            brand_id=cmd.brand_id, email=email, brand_role=BrandRole(cmd.brand_role),
            token_digest=credentials.secret_digest(token), invited_by=cmd.invited_by,
            now=clock(), lifetime=settings.invitation_lifetime)
        uow.invitations.add(invitation)
        uow.commit()
    if mailer is not None:
        mailer.send(invitation_mail(
            email, app_link(settings.public_base_url, "accept", token),
            brand_name=cmd.brand_name, brand_role=invitation.brand_role.value,
            expires_at=invitation.expires_at))
    return {"invitation": views.invitation_of(invitation), "token": token,
            "emailed": mailer is not None}


@HANDLERS.command(commands.RevokeInvitation)
def revoke_invitation(cmd: commands.RevokeInvitation, uow: IdentityUnitOfWork, clock) -> dict:
    """The brand's invitation stops working (revoking it again changes nothing); one of
    another brand is not found, an accepted one is a ``Conflict``."""
    with uow:
        invitation = uow.invitations.get(cmd.invitation_id, for_update=True)
        if invitation is None or invitation.brand_id != cmd.brand_id:
            raise NotFound(fields={"invitation_id": ["Unknown."]})
        if invitation.revoke(clock()):
            uow.invitations.save(invitation)
        uow.commit()
    return views.invitation_of(invitation)


@HANDLERS.command(commands.AcceptInvitation)
def accept_invitation(cmd: commands.AcceptInvitation, uow: IdentityUnitOfWork,
                      hasher: PasswordHasher, settings: IdentitySettings, clock) -> dict:
    with uow.peek():
        invitation = uow.invitations.get_by_token(cmd.token_digest)
    if invitation is None or not invitation.pending(clock()):
        raise ValidationError(fields={"token": ["Unknown, used or expired invitation."]})
    _check_password(settings, cmd.password, invitation.email)
    password_hash = hasher.hash(cmd.password)
    with uow:
        invitation = uow.invitations.get_by_token(cmd.token_digest)
        now = clock()
        account = Account.brand_user(email=invitation.email, brand_id=invitation.brand_id,
                                     brand_role=invitation.brand_role,
                                     password_hash=password_hash, now=now)
        invitation.accept(account.id, now)  # refused if used meanwhile
        uow.invitations.save(invitation)
        uow.accounts.add(account)  # Conflict if the email got an account meanwhile
        uow.commit()
    return account_dto(account)


@HANDLERS.command(commands.RemoveBrandUser)
def remove_brand_user(cmd: commands.RemoveBrandUser, uow: IdentityUnitOfWork, clock) -> dict:
    with uow:
        account = uow.accounts.get(cmd.account_id, for_update=True)
        if account is None or not account.belongs_to_brand(cmd.brand_id):
            raise NotFound(fields={"account_id": ["Unknown."]})
        now = clock()
        sessions = uow.sessions.open_of(account.id)
        revoked = account.remove(sessions, now)
        for session in sessions:
            if session.id in revoked:
                uow.sessions.save(session)
        uow.accounts.save(account)
        uow.commit()
    return account_dto(account)


@HANDLERS.query(queries.ListInvitations)
def list_invitations(query: queries.ListInvitations, uow: IdentityUnitOfWork, clock) -> list:
    with uow.read() as conn:
        return views.pending_invitations(conn, query.brand_id, clock())


# --- accounts (read) ------------------------------------------------------------------------
@HANDLERS.query(queries.GetAccount)
def get_account(query: queries.GetAccount, uow: IdentityUnitOfWork) -> dict:
    with uow.read() as conn:
        account = views.account(conn, query.account_id)
    if account is None:
        raise NotFound(fields={"account_id": ["Unknown."]})
    return account


@HANDLERS.query(queries.ListAccounts)
def list_accounts(query: queries.ListAccounts, uow: IdentityUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.accounts_page(conn, query)


# --- housekeeping ---------------------------------------------------------------------------
@HANDLERS.command(commands.PurgeExpired)
def purge_expired(cmd: commands.PurgeExpired, uow: IdentityUnitOfWork,
                  settings: IdentitySettings, clock) -> dict:
    """Sessions ended (revoked or expired), throttle counters idle and password resets
    used or expired for longer than ``retention`` are deleted."""
    before = clock() - settings.retention
    with uow:
        sessions = uow.sessions.purge(before)
        throttles = uow.throttles.purge(before)
        resets = uow.password_resets.purge(before)
        uow.commit()
    return {"sessions": sessions, "throttles": throttles, "password_resets": resets}


@HANDLERS.command(commands.SweepAbandonedSignUps)
def sweep_abandoned_sign_ups(cmd: commands.SweepAbandonedSignUps, uow: IdentityUnitOfWork,
                             partners: PartnerDirectory, settings: IdentitySettings,
                             clock) -> dict:
    """Partner accounts left awaiting their partner for ``sign_up_abandoned_after``: each
    is asked about to partners once. No such partner: the sign-up was never finished,
    so the account is withdrawn (deleted, ``account_withdrawn``) and its email is free
    again. The partner exists: the account is confirmed and never asked about again.
    Partners unable to answer: the sweep stops and the rest waits for the next run.
    Each account is settled in its own transaction, after checking it is still
    abandoned (a sign-up resumed meanwhile is left alone)."""
    now = clock()
    with uow.peek():
        waiting = uow.accounts.awaiting_partner(now - settings.sign_up_abandoned_after,
                                                settings.sign_up_sweep_batch)
    outcome = {"withdrawn": 0, "confirmed": 0, "left": 0}
    for position, account in enumerate(waiting):
        try:
            registered = partners.has_partner(account.partner_id)
        except ServiceUnavailable:
            outcome["left"] += len(waiting) - position
            break
        outcome[_settle_sign_up(uow, account.id, registered, settings, clock())] += 1
    return outcome


def _settle_sign_up(uow: IdentityUnitOfWork, account_id: str, registered: bool,
                    settings: IdentitySettings, now: datetime) -> str:
    with uow:
        account = uow.accounts.get(account_id, for_update=True)
        if account is None or not account.abandoned(now, settings.sign_up_abandoned_after):
            return "left"  # withdrawn, confirmed or resumed meanwhile
        if registered:
            account.confirm_partner(now)
            uow.accounts.save(account)
        else:
            account.withdraw(now)
            uow.accounts.delete(account)
        uow.commit()
    return "confirmed" if registered else "withdrawn"


# --- notifications (campaigns' applications) ---------------------------------------------
def _recipients(uow: IdentityUnitOfWork, find) -> list[str]:
    """The active accounts ``find`` names, read in the received event's transaction (the
    inbox records the event there): the mails leave after its commit, so a redelivered
    event sends none again (a crash between the commit and the send loses them: emails
    are best effort, as every email here)."""
    with uow:
        emails = [account.email for account in find() if account.active]
        uow.commit()
    return emails


@HANDLERS.command(commands.NotifyApplication)
def notify_application(cmd: commands.NotifyApplication, uow: IdentityUnitOfWork,
                       settings: IdentitySettings, mailer: Mailer | None) -> int:
    """Every active user of the brand is told a partner applied (the link: the
    campaign's page, where the application is decided). Answers how many were emailed."""
    emails = _recipients(uow, lambda: uow.accounts.of_brand(cmd.brand_id))
    if mailer is None:
        return 0
    link = app_page(settings.public_base_url,
                    f"brands/{cmd.brand_id}/campaigns/{cmd.campaign_id}")
    for email in emails:
        mailer.send(application_mail(email, cmd.campaign_name, link))
    return len(emails)


@HANDLERS.command(commands.NotifyApplicationDecided)
def notify_application_decided(cmd: commands.NotifyApplicationDecided,
                               uow: IdentityUnitOfWork, settings: IdentitySettings,
                               mailer: Mailer | None) -> int:
    """The partner is told the brand approved (the link: its links page) or declined
    (the campaigns it may join) its application."""
    page = "partner/links" if cmd.approved else "partner/campaigns"
    return _mail_partner(uow, settings, mailer, cmd.partner_id, page, lambda email, link: (
        application_decided_mail(email, cmd.campaign_name, cmd.approved, link, cmd.reason)))


@HANDLERS.command(commands.NotifyPayout)
def notify_payout(cmd: commands.NotifyPayout, uow: IdentityUnitOfWork,
                  settings: IdentitySettings, mailer: Mailer | None) -> int:
    """The partner is told its payout left (the link: its payouts page) or failed (the
    link: its profile, where the payout method is)."""
    page = "partner/payouts" if cmd.paid else "partner/profile"
    return _mail_partner(uow, settings, mailer, cmd.partner_id, page, lambda email, link: (
        payout_mail(email, cmd.amount, cmd.cycle, cmd.paid, link, cmd.reason)))


@HANDLERS.command(commands.NotifyLinkChanged)
def notify_link_changed(cmd: commands.NotifyLinkChanged, uow: IdentityUnitOfWork,
                        settings: IdentitySettings, mailer: Mailer | None) -> int:
    """The partner is told the brand suspended its link (and why, if it said) or
    reactivated it; the link: its links page."""
    return _mail_partner(uow, settings, mailer, cmd.partner_id, "partner/links",
                         lambda email, link: link_changed_mail(
                             email, cmd.campaign_name, cmd.suspended, link, cmd.note))


@HANDLERS.command(commands.NotifyBonus)
def notify_bonus(cmd: commands.NotifyBonus, uow: IdentityUnitOfWork, settings: IdentitySettings,
                 mailer: Mailer | None) -> int:
    """The partner is told of its bonus; the link: its commissions page."""
    return _mail_partner(uow, settings, mailer, cmd.partner_id, "partner/commissions",
                         lambda email, link: bonus_mail(email, cmd.amount, cmd.campaign_name,
                                                        cmd.note, link))


@HANDLERS.command(commands.NotifyCommissionDeclined)
def notify_commission_declined(cmd: commands.NotifyCommissionDeclined, uow: IdentityUnitOfWork,
                               settings: IdentitySettings, mailer: Mailer | None) -> int:
    """The partner is told what the brand declined and why; the link: its commissions."""
    return _mail_partner(uow, settings, mailer, cmd.partner_id, "partner/commissions",
                         lambda email, link: commission_declined_mail(
                             email, cmd.amount, cmd.what, cmd.reason, link))


@HANDLERS.command(commands.NotifyCommissionChanged)
def notify_commission_changed(cmd: commands.NotifyCommissionChanged, uow: IdentityUnitOfWork,
                              settings: IdentitySettings, mailer: Mailer | None) -> int:
    """The partner is told what it earns in the campaign from now on; the link: its
    links page."""
    return _mail_partner(uow, settings, mailer, cmd.partner_id, "partner/links",
                         lambda email, link: commission_changed_mail(
                             email, cmd.campaign_name, cmd.figures, link))


@HANDLERS.command(commands.NotifyCodeChanged)
def notify_code_changed(cmd: commands.NotifyCodeChanged, uow: IdentityUnitOfWork,
                        settings: IdentitySettings, mailer: Mailer | None) -> int:
    """The partner is told the link the brand gave it; the link: its links page."""
    return _mail_partner(uow, settings, mailer, cmd.partner_id, "partner/links",
                         lambda email, link: code_changed_mail(
                             email, cmd.campaign_name, cmd.tracking_url, cmd.previous_code,
                             link))


def _mail_partner(uow: IdentityUnitOfWork, settings: IdentitySettings, mailer: Mailer | None,
                  partner_id: str, page: str,
                  message: Callable[[str, str], MailMessage]) -> int:
    """Mail the partner's active account(s) ``message(email, link to page)``; answers how
    many were mailed (none without a mail transport)."""
    emails = _recipients(uow, lambda: uow.accounts.of_partner(partner_id))
    if mailer is None:
        return 0
    link = app_page(settings.public_base_url, page)
    for email in emails:
        mailer.send(message(email, link))
    return len(emails)
