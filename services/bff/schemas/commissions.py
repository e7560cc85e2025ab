"""Commissions (brands decide, partners follow theirs) and partners' balances."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.contracts.commissions import (
    BONUS_NOTE_MAX_LENGTH,
    COMMISSION_KINDS,
    COMMISSION_STATUSES,
    MAX_BULK_APPROVALS,
)
from common.validation import IDEMPOTENCY_KEY, Id
from services.bff.routing import Body
from services.bff.schemas.common import Money, MoneyIn, PageQuery, PeriodQuery


class CommissionsQuery(PageQuery, PeriodQuery):
    """``from``/``to``: when the commission was created."""
    status = fields.String(validate=validate.OneOf(COMMISSION_STATUSES))
    campaign_id = Id()


class BrandCommissionsQuery(CommissionsQuery):
    partner_id = Id()


class CommissionsExportQuery(PeriodQuery):
    """The list's filters, without paging: an export holds every match."""
    status = fields.String(validate=validate.OneOf(COMMISSION_STATUSES))
    campaign_id = Id()


class BrandCommissionsExportQuery(CommissionsExportQuery):
    partner_id = Id()


class DeclineBody(Body):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ApproveManyBody(Body):
    commission_ids = fields.List(Id(), required=True, validate=validate.Length(
        min=1, max=MAX_BULK_APPROVALS), metadata={
        "description": f"1 to {MAX_BULK_APPROVALS} of the brand's commissions (a repeat "
                       "counts once)."})


class Refusal(Schema):
    code = fields.String()
    message = fields.String()


class RefusedCommission(Schema):
    commission_id = fields.String()
    error = fields.Nested(Refusal)


class ApprovedManyOut(Schema):
    approved = fields.List(fields.String(), metadata={
        "description": "Approved now, or already (an APPROVED one is left as it is)."})
    refused = fields.List(fields.Nested(RefusedCommission), metadata={
        "description": "Each with why, nothing changed: `not_found` (unknown, or another "
                       "brand's), `business_rule_violation` (no longer PENDING)."})


class BonusBody(Body):
    partner_id = Id(required=True, metadata={
        "description": "A partner with a link in the campaign (ACTIVE or SUSPENDED)."})
    amount = fields.Nested(MoneyIn, required=True, metadata={
        "description": "In the campaign's currency, out of what is left of its budget."})
    note = fields.String(required=True, validate=validate.Length(
        min=1, max=BONUS_NOTE_MAX_LENGTH), metadata={
        "description": "What it is for (the partner reads it).",
        "example": "Best month of the quarter"})
    reference = fields.String(load_default=None, allow_none=True, validate=IDEMPOTENCY_KEY,
                              metadata={
        "description": "Your own name for this bonus: sent again (a retry), it answers the "
                       "same bonus, paid once. Without one, every request is a new bonus.",
        "example": "q4-top-seller-bea"})


class CommissionOut(Schema):
    commission_id = fields.String(required=True)
    partner_id = fields.String()
    partner_name = fields.String(allow_none=True, metadata={
        "description": "Brands' lists: the partner's name (null if not known yet)."})
    campaign_id = fields.String()
    brand_id = fields.String()
    conversion_id = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": list(COMMISSION_KINDS), "description":
                                   "What it pays for: a conversion, a batch of clicks, or "
                                   "a bonus the brand awarded."})
    note = fields.String(allow_none=True, metadata={
        "description": "A bonus: what the brand said it is for."})
    model = fields.String(allow_none=True, metadata={
        "enum": ["CPS", "CPA", "CPC"], "description": "The terms' model (null: a bonus)."})
    terms_version = fields.Integer(metadata={"description": "0: a bonus (no terms)."})
    amount = fields.Nested(Money, metadata={"description": "What is owed now."})
    earned = fields.Nested(Money, metadata={"description": "What the terms gave."})
    reversed = fields.Nested(Money, allow_none=True)
    order_amount = fields.Nested(Money, allow_none=True)
    clicks = fields.Integer(allow_none=True)
    click_day = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(COMMISSION_STATUSES)})
    reason = fields.String(allow_none=True)
    hold_until = fields.String(allow_none=True)
    payout_id = fields.String(allow_none=True)
    occurred_at = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class CurrencyBalance(Schema):
    currency = fields.String(required=True)
    pending = fields.String()
    approved = fields.String()
    in_payout = fields.String()
    paid = fields.String()
    adjustments = fields.String(metadata={"description": "Clawbacks (negative)."})
    payable = fields.String(metadata={"description": "approved + adjustments."})


class BalanceOut(Schema):
    partner_id = fields.String(required=True)
    balances = fields.List(fields.Nested(CurrencyBalance), required=True)
