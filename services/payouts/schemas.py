"""Marshmallow schemas of the payouts RPC payloads."""
from __future__ import annotations

import marshmallow
from marshmallow import fields, validate

from common.validation import CurrencyCode, DecimalString, Id, Page, StrictSchema
from services.payouts.domain.payout import PayoutStatus

CYCLE = [validate.Length(min=1, max=40),
         validate.Regexp(r"^[A-Za-z0-9._:\-]+$", error="Letters, digits and . _ : - only.")]


def _not_negative(value) -> None:
    if value < 0:
        raise marshmallow.ValidationError("Must not be negative.")


class RunPayoutsSchema(StrictSchema):
    currency = CurrencyCode(required=True)
    min_amount = DecimalString(load_default=None, allow_none=True, validate=_not_negative)
    cycle = fields.String(load_default=None, allow_none=True, validate=CYCLE)


class PayoutIdSchema(StrictSchema):
    payout_id = Id(required=True)


class ListPayoutsSchema(Page):
    partner_id = Id()
    status = fields.String(validate=validate.OneOf([s.value for s in PayoutStatus]))
    cycle = fields.String(validate=CYCLE)
