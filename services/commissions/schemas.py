"""Marshmallow schemas of the commissions RPC payloads."""
from __future__ import annotations

import marshmallow
from marshmallow import fields, validate

from common.contracts.commissions import (
    BONUS_NOTE_MAX_LENGTH,
    COMMISSION_STATUSES,
    MAX_BULK_APPROVALS,
)
from common.validation import (
    IDEMPOTENCY_KEY,
    CurrencyCode,
    DecimalString,
    Id,
    MoneySchema,
    Page,
    StrictSchema,
    UTCDateTimeField,
)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise marshmallow.ValidationError("Must not be blank.")


def _not_negative(value) -> None:
    if value < 0:
        raise marshmallow.ValidationError("Must not be negative.")


class CommissionIdSchema(StrictSchema):
    commission_id = Id(required=True)


class ApproveCommissionSchema(CommissionIdSchema):
    acting_brand_id = Id(required=True)


class ApproveCommissionsSchema(StrictSchema):
    commission_ids = fields.List(Id(), required=True,
                                 validate=validate.Length(min=1, max=MAX_BULK_APPROVALS))
    acting_brand_id = Id(required=True)


class DeclineCommissionSchema(ApproveCommissionSchema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), _not_blank])


class AwardBonusSchema(StrictSchema):
    reference = fields.String(required=True, validate=IDEMPOTENCY_KEY)
    acting_brand_id = Id(required=True)
    campaign_id = Id(required=True)
    partner_id = Id(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    note = fields.String(required=True, validate=[
        validate.Length(min=1, max=BONUS_NOTE_MAX_LENGTH), _not_blank])
    campaign_name = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(max=200))

    @marshmallow.validates("amount")
    def _positive(self, value, **_):
        if value.get("amount") is not None and value["amount"] <= 0:
            raise marshmallow.ValidationError({"amount": ["Must be greater than 0."]})


class ListCommissionsSchema(Page):
    """``from`` / ``to``: when the commission was created (UTC), ``from`` included, ``to``
    excluded -- a month's commissions are ``from`` its first day ``to`` the next's."""

    partner_id = Id()
    campaign_id = Id()
    brand_id = Id()
    status = fields.String(validate=validate.OneOf(COMMISSION_STATUSES))
    start = UTCDateTimeField(data_key="from")
    end = UTCDateTimeField(data_key="to")

    @marshmallow.validates_schema
    def _a_range_that_ends_after_it_starts(self, data, **_):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise marshmallow.ValidationError("Must be after 'from'.", "to")


class PartnerIdSchema(StrictSchema):
    partner_id = Id(required=True)


class PayoutIdSchema(StrictSchema):
    payout_id = Id(required=True)


class HoldForPayoutSchema(PayoutIdSchema):
    partner_id = Id(required=True)
    currency = CurrencyCode(required=True)
    min_amount = DecimalString(load_default=None, allow_none=True, validate=_not_negative)


class ListPayableSchema(StrictSchema):
    currency = CurrencyCode(required=True)
    min_amount = DecimalString(load_default=0, validate=_not_negative)


class CampaignIdSchema(StrictSchema):
    campaign_id = Id(required=True)
