from __future__ import annotations

import dataclasses

from common.seedwork.application.messages import Command


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreateAdmin(Command):
    email: str
    password: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreatePartnerAccount(Command):
    partner_id: str
    email: str
    password: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawPartnerAccount(Command):
    account_id: str
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangePassword(Command):
    account_id: str
    current_password: str = dataclasses.field(repr=False)
    new_password: str = dataclasses.field(repr=False)
    keep_session_id: str | None = None  # the session that asks: it stays open


@dataclasses.dataclass(frozen=True, kw_only=True)
class IssuePasswordReset(Command):
    email: str
    issued_by: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestPasswordReset(Command):
    email: str
    ip: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResetPassword(Command):
    token_digest: str = dataclasses.field(repr=False)
    password: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogIn(Command):
    email: str
    password: str = dataclasses.field(repr=False)
    ip: str
    user_agent: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogOut(Command):
    token_digest: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogOutEverywhere(Command):
    account_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordUse(Command):
    session_id: str | None = None
    api_key_id: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreateApiKey(Command):
    brand_id: str
    name: str
    scopes: tuple[str, ...]
    created_by: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RevokeApiKey(Command):
    brand_id: str
    api_key_id: str
    revoked_by: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class InviteBrandUser(Command):
    brand_id: str
    email: str
    brand_role: str
    invited_by: str
    brand_name: str | None = None  # said in the invitation's email


@dataclasses.dataclass(frozen=True, kw_only=True)
class RevokeInvitation(Command):
    brand_id: str
    invitation_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AcceptInvitation(Command):
    token_digest: str = dataclasses.field(repr=False)
    password: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RemoveBrandUser(Command):
    brand_id: str
    account_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PurgeExpired(Command):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class SweepAbandonedSignUps(Command):
    """Partner accounts awaiting their partner and unchanged for the settings'
    ``sign_up_abandoned_after``: withdrawn if partners has no such partner."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyApplication(Command):
    """campaigns' ``enrollment_requested``: the brand's users are told by email."""

    brand_id: str
    campaign_id: str
    campaign_name: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyApplicationDecided(Command):
    """An application approved (``partner_enrolled`` after one) or declined: the
    partner is told by email."""

    partner_id: str
    campaign_name: str
    approved: bool
    reason: str | None = None  # a refusal's, as the brand gave it


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyLinkChanged(Command):
    """campaigns' ``enrollment_suspended`` / ``_reactivated`` by the brand: the partner
    is told by email."""

    partner_id: str
    campaign_name: str | None  # absent from events older than the field
    suspended: bool
    note: str | None = None  # the brand's word with its suspension


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyCommissionChanged(Command):
    """campaigns' ``enrollment_commission_changed``: the partner is told by email what it
    earns from now on."""

    partner_id: str
    campaign_name: str
    figures: str | None  # "15 % of each order, at most 50.00 USD"; None: the campaign's


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyBonus(Command):
    """commissions' ``bonus_awarded``: the partner is told by email."""

    partner_id: str
    amount: str  # "25.00 USD", as the partner reads it
    campaign_name: str | None
    note: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyCommissionDeclined(Command):
    """commissions' ``commission_declined``: the partner is told by email what the brand
    declined and why (a brand's decision: rare, never one per order)."""

    partner_id: str
    amount: str | None  # "20.00 USD", as the partner reads it (None: an older event's)
    what: str           # "an order", "clicks", "the bonus “...”"
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyCodeChanged(Command):
    """campaigns' ``enrollment_code_changed`` when the brand chose the code: the partner
    is told by email which link to share from now on."""

    partner_id: str
    campaign_name: str
    tracking_url: str
    previous_code: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotifyPayout(Command):
    """payouts' ``payout_paid`` or ``payout_failed``: the partner is told by email."""

    partner_id: str
    amount: str  # "20.00 USD", as the partner reads it
    cycle: str
    paid: bool
    reason: str | None = None  # a failure's, as the payment provider gave it
