"""Events of the ``payouts`` service."""
from marshmallow import fields

from common.contracts.base import EventContract
from common.contracts.shared import money
from common.validation import Id, TolerantSchema, UTCDateTimeField

SOURCE = "payouts"


class CommissionBrand(TolerantSchema):
    """Whose commission a payout pays: one per commission id, so that a consumer can scope
    the payout to each brand without a replica of commissions."""

    commission_id = Id(required=True)
    brand_id = Id(required=True)


class PayoutPayload(TolerantSchema):
    payout_id = Id(required=True)
    partner_id = Id(required=True)
    cycle = fields.String(required=True)
    amount = money(required=True)
    commission_ids = fields.List(Id(), required=True)
    # whose commission each is (one entry per commission id): absent from the events of a
    # payout held before the field existed
    commission_brands = fields.List(fields.Nested(CommissionBrand), required=False)
    occurred_at = UTCDateTimeField(required=True)


class PayoutPaid(PayoutPayload):
    psp_reference = fields.String(required=True)


class PayoutFailed(PayoutPayload):
    reason = fields.String(required=True)


PAYOUT_STARTED = EventContract(SOURCE, "payout_started", 1, PayoutPayload,
                               "A payout saga started for a partner, currency and cycle.")
PAYOUT_PAID = EventContract(SOURCE, "payout_paid", 1, PayoutPaid,
                            "The PSP paid the partner; the commissions are PAID.")
PAYOUT_FAILED = EventContract(SOURCE, "payout_failed", 1, PayoutFailed,
                              "The payment failed and was compensated (commissions back to "
                              "APPROVED); retried next cycle or by retry_payout.")
PAYOUT_COMPENSATION_FAILED = EventContract(
    SOURCE, "payout_compensation_failed", 1, PayoutFailed,
    "The payment failed and so did its compensation: an operator must look "
    "(retry_payout resumes it).")

CONTRACTS = (PAYOUT_STARTED, PAYOUT_PAID, PAYOUT_FAILED, PAYOUT_COMPENSATION_FAILED)
