"""Payouts: admins run them; partners see theirs."""
from __future__ import annotations

import marshmallow
from marshmallow import Schema, fields, validate

from common.validation import CurrencyCode, Id, StrictSchema
from services.bff.routing import Body
from services.bff.schemas.common import Money, MoneyIn, PageQuery

PAYOUT_STATUSES = ("PENDING", "HELD", "CONFIRMING", "PAID", "COMPENSATING", "FAILED",
                   "COMPENSATION_FAILED", "SKIPPED")
STATUS = validate.OneOf(PAYOUT_STATUSES)
CYCLE = validate.Regexp(r"^[A-Za-z0-9._:-]{1,40}$",
                        error="Letters, digits and . _ : - only (1 to 40).")


class PayoutRunBody(Body):
    currency = CurrencyCode(required=True)
    min_amount = fields.Nested(MoneyIn, load_default=None, allow_none=True, metadata={
        "description": "Pay only partners whose payable balance reaches this (money, in "
                       "the run's currency: the shape the run answers with). Default: the "
                       "payouts service's threshold (config.yaml PAYOUTS, 50.00)."})
    cycle = fields.String(load_default=None, allow_none=True, validate=CYCLE, metadata={
        "description": "Idempotency: running the same cycle again pays no one twice."})

    @marshmallow.validates_schema
    def _threshold_in_the_run_currency(self, data, **kwargs):
        threshold, currency = data.get("min_amount"), data.get("currency")
        if threshold and currency and threshold["currency"] != currency:
            raise marshmallow.ValidationError(
                {"currency": [f"Must be the run's currency ({currency})."]}, "min_amount")


class PayoutsQuery(PageQuery):
    status = fields.String(validate=STATUS)
    cycle = fields.String(validate=CYCLE)


class AdminPayoutsQuery(PayoutsQuery):
    partner_id = Id()


class PayoutsExportQuery(StrictSchema):
    """The list's filters, without paging: an export holds every match."""
    status = fields.String(validate=STATUS)
    cycle = fields.String(validate=CYCLE)


class AdminPayoutsExportQuery(PayoutsExportQuery):
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


# Why a run left a partner (docs/services/payouts.md).
SKIP_REASONS = ("partner_unknown", "partner_not_active", "partner_suspended",
                "no_valid_payout_method", "already_in_cycle",
                "payout_in_progress_in_another_cycle")


class RunEntry(Schema):
    partner_id = fields.String()
    payable = fields.Nested(Money, metadata={
        "description": "The partner's payable balance when the run looked at it."})
    payout_id = fields.String(allow_none=True, metadata={
        "description": "started: the payout this run started (or restarted after a "
                       "failure); skipped: the payout in the way, null when none."})
    reason = fields.String(metadata={
        "description": "Skipped entries only: why the partner was left. "
                       "`already_in_cycle`: it has a payout in this cycle (paid, skipped or "
                       "under way); `payout_in_progress_in_another_cycle`: a payout of "
                       "another cycle is under way for it in this currency; the others: "
                       "the partner cannot be paid.",
        "enum": list(SKIP_REASONS)})


class PayoutRunOut(Schema):
    cycle = fields.String()
    currency = fields.String()
    min_amount = fields.Nested(Money)
    started = fields.List(fields.Nested(RunEntry), metadata={
        "description": "Only the payouts this run started: each goes on to be held and "
                       "paid (it can still end SKIPPED if the balance changed before the "
                       "hold, e.g. a refund)."})
    skipped = fields.List(fields.Nested(RunEntry), metadata={
        "description": "Every other payable partner, with the reason."})
