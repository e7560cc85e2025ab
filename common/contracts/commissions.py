"""Events of the ``commissions`` service: each commission's life, each campaign's
budget running out or coming back, and the partner balances and campaign budgets that
changed (a batched snapshot a timer publishes every few seconds, for read models: never
one per commission)."""
from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.contracts.shared import money
from common.seedwork.errors import BusinessRuleViolation
from common.validation import CurrencyCode, DecimalString, Id, TolerantSchema, UTCDateTimeField

SOURCE = "commissions"
COMMISSION_STATUSES = ("PENDING", "APPROVED", "IN_PAYOUT", "PAID", "REJECTED", "DECLINED",
                       "REVERSED")
COMMISSION_KINDS = ("conversion", "clicks", "bonus")  # what a commission pays for
BONUS_NOTE_MAX_LENGTH = 500


class BudgetExhausted(BusinessRuleViolation):
    """``award_bonus``: what is left of the campaign's budget does not cover the bonus."""

    code = "budget_exhausted"
    default_message = "The campaign's remaining budget does not cover this amount."


MAX_BULK_APPROVALS = 100  # commissions a brand approves in one call


class CommissionPayload(TolerantSchema):
    commission_id = Id(required=True)
    partner_id = Id(required=True)
    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    conversion_id = Id(required=True, allow_none=True)  # None for CPC click batches
    source_event_id = Id(required=True)                 # conversion/click batch event
    amount = money(required=True)                       # what is owed now
    status = fields.String(required=True, validate=validate.OneOf(COMMISSION_STATUSES))
    terms_version = fields.Integer(required=True)
    hold_until = UTCDateTimeField(required=True, allow_none=True)
    occurred_at = UTCDateTimeField(required=True)
    # optional in v1 (absent from older events: a conversion's if ``conversion_id``, else
    # a click batch's); a bonus has no conversion, ``terms_version`` 0 and the brand's note
    kind = fields.String(validate=validate.OneOf(COMMISSION_KINDS))
    note = fields.String(load_default=None, allow_none=True)


class CommissionWithReason(CommissionPayload):
    reason = fields.String(required=True)


class CommissionDeclined(CommissionWithReason):
    """``declined_amount``: what the commission owed until the brand declined it (its
    ``amount`` is zero now); optional in v1 (absent from older events)."""

    declined_amount = money(load_default=None, allow_none=True)


class CommissionReversed(CommissionPayload):
    reversed_amount = money(required=True)
    clawback = fields.Boolean(required=True)  # True: already paid, netted in a later payout


class CommissionPaid(CommissionPayload):
    payout_id = Id(required=True)


class CampaignBudgetPayload(TolerantSchema):
    """A campaign's budget as commissions promise it."""

    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    budget = money(required=True)      # what the brand set
    reserved = money(required=True)    # what the campaign's commissions owe
    remaining = money(required=True)


class LedgerBalance(TolerantSchema):
    """A partner's ledger in one currency, whole: each bucket's amount (decimal strings
    in ``currency``; ``adjustments`` are clawbacks, negative). ``revision`` goes up with
    every posting: a consumer keeps the highest it has seen. ``updated_at``: the last
    posting."""

    partner_id = Id(required=True)
    currency = CurrencyCode(required=True)
    pending = DecimalString(required=True)
    approved = DecimalString(required=True)
    in_payout = DecimalString(required=True)
    paid = DecimalString(required=True)
    adjustments = DecimalString(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    updated_at = UTCDateTimeField(required=True)


class BudgetBalance(TolerantSchema):
    """A campaign's budget as commissions promise it, and its commissions awaiting
    approval (PENDING: their number and what they owe). ``revision`` goes up with every
    change of either."""

    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    total = money(required=True)       # what the brand set
    reserved = money(required=True)    # what the campaign's commissions owe
    exhausted = fields.Boolean(required=True)
    pending_count = fields.Integer(required=True, validate=validate.Range(min=0))
    pending_amount = money(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    updated_at = UTCDateTimeField(required=True)


class BonusAwarded(TolerantSchema):
    """A brand's bonus, for whoever tells the partner (its commission is in
    ``commission_created`` too). ``campaign_name``: as the brand's console named it."""

    commission_id = Id(required=True)
    partner_id = Id(required=True)
    brand_id = Id(required=True)
    campaign_id = Id(required=True)
    campaign_name = fields.String(required=True, allow_none=True)
    amount = money(required=True)
    note = fields.String(required=True)
    occurred_at = UTCDateTimeField(required=True)


class BalancesChanged(TolerantSchema):
    ledgers = fields.List(fields.Nested(LedgerBalance), required=True)
    budgets = fields.List(fields.Nested(BudgetBalance), required=True)


COMMISSION_CREATED = EventContract(SOURCE, "commission_created", 1, CommissionPayload,
                                   "A commission is owed: PENDING until its hold ends, or "
                                   "APPROVED already when it has no hold left (then no "
                                   "commission_approved follows).")
COMMISSION_REJECTED = EventContract(SOURCE, "commission_rejected", 1, CommissionWithReason,
                                    "No commission: e.g. the campaign budget was exhausted.")
COMMISSION_APPROVED = EventContract(SOURCE, "commission_approved", 1, CommissionPayload,
                                    "A PENDING commission became payable (hold over, or "
                                    "brand approval).")
COMMISSION_DECLINED = EventContract(SOURCE, "commission_declined", 1, CommissionDeclined,
                                    "The brand declined the commission; its budget is "
                                    "released.")
COMMISSION_REVERSED = EventContract(SOURCE, "commission_reversed", 1, CommissionReversed,
                                    "A refund reduced or cancelled the commission, or booked "
                                    "a clawback if it was paid.")
COMMISSION_PAID = EventContract(SOURCE, "commission_paid", 1, CommissionPaid,
                                "The commission was paid in a payout.")
BONUS_AWARDED = EventContract(SOURCE, "bonus_awarded", 1, BonusAwarded,
                              "A brand awarded a partner a one-off bonus (approved at once; "
                              "its commission_created says so too): rare, for the "
                              "partner's news.")

CAMPAIGN_BUDGET_EXHAUSTED = EventContract(
    SOURCE, "campaign_budget_exhausted", 1, CampaignBudgetPayload,
    "What is left of the campaign's budget cannot pay the smallest commission its terms "
    "allow: no commission opens until it grows (campaigns pauses the campaign).")
CAMPAIGN_BUDGET_AVAILABLE = EventContract(
    SOURCE, "campaign_budget_available", 1, CampaignBudgetPayload,
    "The campaign's budget can pay a commission again (a commission gave money back, or "
    "the brand raised the budget).")

BALANCES_CHANGED = EventContract(
    SOURCE, "balances_changed", 1, BalancesChanged,
    "The partner ledgers and campaign budgets that changed since the previous batch, "
    "each whole with its revision; published by a timer every few seconds "
    "(`COMMISSIONS.balances_changed_interval_seconds`), at most "
    "`balances_changed_max_rows` of each per event.")

CONTRACTS = (COMMISSION_CREATED, COMMISSION_REJECTED, COMMISSION_APPROVED, COMMISSION_DECLINED,
             COMMISSION_REVERSED, COMMISSION_PAID, BONUS_AWARDED, CAMPAIGN_BUDGET_EXHAUSTED,
             CAMPAIGN_BUDGET_AVAILABLE, BALANCES_CHANGED)
