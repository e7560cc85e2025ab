"""Commissions (brands decide, partners follow theirs) and partners' balances."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.contracts.commissions import COMMISSION_STATUSES
from common.validation import Id
from services.bff.routing import Body
from services.bff.schemas.common import Money, PageQuery, PeriodQuery


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


class CommissionOut(Schema):
    commission_id = fields.String(required=True)
    partner_id = fields.String()
    partner_name = fields.String(allow_none=True, metadata={
        "description": "Brands' lists: the partner's name (null if not known yet)."})
    campaign_id = fields.String()
    brand_id = fields.String()
    conversion_id = fields.String(allow_none=True)
    model = fields.String(metadata={"enum": ["CPS", "CPA", "CPC"]})
    terms_version = fields.Integer()
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
