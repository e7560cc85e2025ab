"""Payouts: admins run them; partners see theirs."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.validation import CurrencyCode, DecimalString, Id
from services.bff.routing import Body
from services.bff.schemas.common import Money, PageQuery

PAYOUT_STATUSES = ("PENDING", "HELD", "CONFIRMING", "PAID", "COMPENSATING", "FAILED",
                   "COMPENSATION_FAILED", "SKIPPED")
STATUS = validate.OneOf(PAYOUT_STATUSES)
CYCLE = validate.Regexp(r"^[A-Za-z0-9._:-]{1,40}$",
                        error="Letters, digits and . _ : - only (1 to 40).")


class PayoutRunBody(Body):
    currency = CurrencyCode(required=True)
    min_amount = DecimalString(load_default=None, allow_none=True, metadata={
        "description": "Pay only partners whose payable balance reaches this."})
    cycle = fields.String(load_default=None, allow_none=True, validate=CYCLE, metadata={
        "description": "Idempotency: running the same cycle again pays no one twice."})


class PayoutsQuery(PageQuery):
    status = fields.String(validate=STATUS)
    cycle = fields.String(validate=CYCLE)


class AdminPayoutsQuery(PayoutsQuery):
    partner_id = Id()


class SagaStep(Schema):
    attempt = fields.Integer()
    step = fields.String()
    outcome = fields.String()
    detail = fields.Raw(allow_none=True)
    at = fields.String()


class PayoutOut(Schema):
    payout_id = fields.String(required=True)
    partner_id = fields.String()
    currency = fields.String()
    cycle = fields.String()
    status = fields.String(metadata={"enum": list(PAYOUT_STATUSES)})
    amount = fields.Nested(Money, allow_none=True)
    min_amount = fields.Nested(Money, allow_none=True)
    commission_ids = fields.List(fields.String())
    adjustment_ids = fields.List(fields.String(), metadata={"description": "Clawbacks netted."})
    psp_reference = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    attempt = fields.Integer()
    next_attempt_at = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    saga_log = fields.List(fields.Nested(SagaStep), metadata={
        "description": "Every step and compensation (admins only, single payout)."})


class RunEntry(Schema):
    partner_id = fields.String()
    payable = fields.Nested(Money)
    payout_id = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "Why a partner was skipped."})


class PayoutRunOut(Schema):
    cycle = fields.String()
    currency = fields.String()
    min_amount = fields.Nested(Money)
    started = fields.List(fields.Nested(RunEntry))
    skipped = fields.List(fields.Nested(RunEntry))
