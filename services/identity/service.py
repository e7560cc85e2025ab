"""The ``identity`` Nameko service: accounts, passwords, sessions, API keys, invitations.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
Presented credentials (session cookies, API keys, invitation tokens) arrive as their
digest (``common.contracts.identity.secret_digest``); a new secret is answered once, by
the call that made it, and never stored, logged or published.
"""
from __future__ import annotations

from common.contracts import campaigns, commissions, payouts
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import settings_from
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.nameko.rpc import RpcClient, api
from common.nameko.timers import timer
from common.validation import load
from services.identity import schemas
from services.identity.application import commands, inbound, queries
from services.identity.application.handlers import HANDLERS
from services.identity.application.integration_events import TRANSLATOR
from services.identity.application.settings import SECTION, IdentitySettings
from services.identity.infrastructure.mail import mailer_from_url
from services.identity.infrastructure.partners import PartnersRpcDirectory
from services.identity.infrastructure.passwords import Argon2Hasher
from services.identity.infrastructure.tables import Base
from services.identity.infrastructure.unit_of_work import SqlIdentityUnitOfWork


class IdentityService(health.HealthMixin):
    name = "identity"

    db = ServiceDatabase(Base)
    bus = MessageBusProvider(
        handlers=HANDLERS, unit_of_work=SqlIdentityUnitOfWork, translator=TRANSLATOR,
        settings=settings_from(SECTION, IdentitySettings),
        shared={"hasher": lambda wiring: Argon2Hasher(wiring.settings.argon2),
                "mailer": lambda wiring: mailer_from_url(wiring.settings.mail_url,
                                                         wiring.settings.mail_from)},
        per_worker={"partners": lambda service: PartnersRpcDirectory(service.rpc)})
    rpc = RpcClient()  # partners, asked only by the housekeeping sweep of sign-ups

    # accounts ----------------------------------------------------------------------------
    @api
    def create_admin(self, payload):
        data = load(schemas.NewAccountSchema, payload)
        return self.bus.handle(commands.CreateAdmin(**data))

    @api
    def check_new_account(self, payload):
        data = load(schemas.NewAccountSchema, payload)
        return self.bus.query(queries.CheckNewAccount(**data))

    @api
    def create_partner_account(self, payload):
        data = load(schemas.PartnerAccountSchema, payload)
        return self.bus.handle(commands.CreatePartnerAccount(**data))

    @api
    def withdraw_partner_account(self, payload):
        """Undo sign-up's account when its partner could not be registered:
        ``{"account_id", "partner_id"}`` -> ``{"withdrawn": bool}``."""
        data = load(schemas.WithdrawPartnerAccountSchema, payload)
        return {"withdrawn": self.bus.handle(commands.WithdrawPartnerAccount(**data))}

    @api
    def get_account(self, account_id):
        data = load(schemas.AccountIdSchema, {"account_id": account_id})
        return self.bus.query(queries.GetAccount(**data))

    @api
    def list_accounts(self, filters=None):
        data = load(schemas.ListAccountsSchema, filters or {})
        return self.bus.query(queries.ListAccounts(**data))

    # log-in and sessions -----------------------------------------------------------------
    @api
    def log_in(self, payload):
        data = load(schemas.LogInSchema, payload)
        return self.bus.handle(commands.LogIn(**data))

    @api
    def authenticate_session(self, token_digest):
        data = load(schemas.DigestSchema, {"digest": token_digest})
        return self.bus.query(queries.AuthenticateSession(token_digest=data["digest"]))

    @api
    def log_out(self, token_digest):
        data = load(schemas.DigestSchema, {"digest": token_digest})
        return self.bus.handle(commands.LogOut(token_digest=data["digest"]))

    @api
    def change_password(self, payload):
        """``{"account_id", "current_password", "new_password", "keep_session_id"?}`` ->
        ``{"revoked": n}``: the account's other sessions, ended."""
        data = load(schemas.ChangePasswordSchema, payload)
        return self.bus.handle(commands.ChangePassword(**data))

    @api
    def issue_password_reset(self, payload):
        """``{"email", "issued_by"}`` -> ``{"account", "token", "expires_at"}``: the token
        is shown this once (an operator hands the link over)."""
        data = load(schemas.IssuePasswordResetSchema, payload)
        return self.bus.handle(commands.IssuePasswordReset(**data))

    @api
    def request_password_reset(self, payload):
        """``{"email", "ip"}`` -> ``{"requested": true}`` whoever has the email: a reset
        link goes by email to the account that has it (at most one per interval)."""
        data = load(schemas.RequestPasswordResetSchema, payload)
        return self.bus.handle(commands.RequestPasswordReset(**data))

    @api
    def reset_password(self, payload):
        """``{"token_digest", "password"}`` -> account."""
        data = load(schemas.ResetPasswordSchema, payload)
        return self.bus.handle(commands.ResetPassword(**data))

    @api
    def log_out_everywhere(self, account_id):
        data = load(schemas.AccountIdSchema, {"account_id": account_id})
        return self.bus.handle(commands.LogOutEverywhere(**data))

    @api
    def record_use(self, payload):
        data = load(schemas.RecordUseSchema, payload)
        self.bus.handle(commands.RecordUse(**data))

    # API keys ----------------------------------------------------------------------------
    @api
    def create_api_key(self, payload):
        data = load(schemas.CreateApiKeySchema, payload)
        return self.bus.handle(commands.CreateApiKey(**{**data, "scopes": tuple(data["scopes"])}))

    @api
    def revoke_api_key(self, payload):
        data = load(schemas.RevokeApiKeySchema, payload)
        return self.bus.handle(commands.RevokeApiKey(**data))

    @api
    def list_api_keys(self, filters):
        data = load(schemas.ListApiKeysSchema, filters)
        return self.bus.query(queries.ListApiKeys(**data))

    @api
    def authenticate_api_key(self, key_digest):
        data = load(schemas.DigestSchema, {"digest": key_digest})
        return self.bus.query(queries.AuthenticateApiKey(key_digest=data["digest"]))

    # brand users -------------------------------------------------------------------------
    @api
    def invite_brand_user(self, payload):
        data = load(schemas.InviteSchema, payload)
        return self.bus.handle(commands.InviteBrandUser(**data))

    @api
    def revoke_invitation(self, payload):
        """``{"brand_id", "invitation_id"}`` -> the invitation, no longer usable."""
        data = load(schemas.RevokeInvitationSchema, payload)
        return self.bus.handle(commands.RevokeInvitation(**data))

    @api
    def accept_invitation(self, payload):
        data = load(schemas.AcceptInvitationSchema, payload)
        return self.bus.handle(commands.AcceptInvitation(**data))

    @api
    def list_brand_users(self, brand_id):
        data = load(schemas.BrandIdSchema, {"brand_id": brand_id})
        users = self.bus.query(queries.ListAccounts(
            role="brand", brand_id=data["brand_id"], status="ACTIVE", page_size=100))
        return {"items": users["items"],
                "invitations": self.bus.query(queries.ListInvitations(**data))}

    @api
    def remove_brand_user(self, brand_id, account_id):
        data = load(schemas.BrandUserSchema, {"brand_id": brand_id, "account_id": account_id})
        return self.bus.handle(commands.RemoveBrandUser(**data))

    # housekeeping ------------------------------------------------------------------------
    @timer(SECTION, "housekeeping_interval_seconds", default=3600)
    def purge_expired(self):
        """Expired sessions, counters and resets purged; then abandoned sign-ups swept
        (after the purge, which needs nothing but the database)."""
        purged = self.bus.handle(commands.PurgeExpired())
        return {**purged, "sign_ups": self.bus.handle(commands.SweepAbandonedSignUps())}

    # notifications: campaigns' applications, by email ------------------------------------
    @event_handler(campaigns.ENROLLMENT_REQUESTED)
    def on_enrollment_requested(self, event):
        self.bus.handle(inbound.application_made(event))

    @event_handler(campaigns.ENROLLMENT_DECLINED)
    def on_enrollment_declined(self, event):
        self.bus.handle(inbound.application_decided(event))

    @event_handler(campaigns.PARTNER_ENROLLED)
    def on_partner_enrolled(self, event):
        """Only an approved application is news to the partner (an open campaign's
        enrollment is the partner's own doing): the others are done with at once."""
        command = inbound.application_decided(event)
        if command is not None:
            self.bus.handle(command)

    # notifications: the brand's suspension of a partner's link, by email ----------------
    @event_handler(campaigns.ENROLLMENT_SUSPENDED)
    def on_enrollment_suspended(self, event):
        self._link_changed(event)

    @event_handler(campaigns.ENROLLMENT_REACTIVATED)
    def on_enrollment_reactivated(self, event):
        self._link_changed(event)

    @event_handler(campaigns.ENROLLMENT_COMMISSION_CHANGED)
    def on_enrollment_commission_changed(self, event):
        self.bus.handle(inbound.commission_changed(event))

    @event_handler(campaigns.ENROLLMENT_CODE_CHANGED)
    def on_enrollment_code_changed(self, event):
        """Only the brand's choice is news to the partner."""
        command = inbound.code_changed(event)
        if command is not None:
            self.bus.handle(command)

    def _link_changed(self, event):
        """Only the brand's doing is news (the others are done with at once)."""
        command = inbound.link_changed(event)
        if command is not None:
            self.bus.handle(command)

    # notifications: a brand's bonus and declines (rare: no event per order here) ----------
    @event_handler(commissions.BONUS_AWARDED)
    def on_bonus_awarded(self, event):
        self.bus.handle(inbound.bonus_awarded(event))

    @event_handler(commissions.COMMISSION_DECLINED)
    def on_commission_declined(self, event):
        """A brand's decision (rare): no event per order reaches identity."""
        self.bus.handle(inbound.commission_declined(event))

    # notifications: the partner's payouts, by email --------------------------------------
    @event_handler(payouts.PAYOUT_PAID)
    def on_payout_paid(self, event):
        self.bus.handle(inbound.payout_outcome(event))

    @event_handler(payouts.PAYOUT_FAILED)
    def on_payout_failed(self, event):
        self.bus.handle(inbound.payout_outcome(event))
