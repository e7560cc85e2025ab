"""Events published by the ``partners`` service.

Every partner event carries the partner's full current snapshot (event-carried state
transfer) with ``revision``, the partner's version number: a consumer keeps a replica by
upserting the snapshot and ignoring any event whose revision is not newer than the one
it holds, so redelivered or reordered events never roll a replica back.
"""
from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.validation import CountryCode, Id, TolerantSchema, UTCDateTimeField

SOURCE = "partners"

PARTNER_TYPES = ("affiliate", "influencer", "ambassador", "media", "b2b")
PARTNER_STATUSES = ("PENDING", "ACTIVE", "SUSPENDED")
KYC_STATUSES = ("NOT_VERIFIED", "VERIFIED")


class PartnerSnapshot(TolerantSchema):
    partner_id = Id(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    type = fields.String(required=True, validate=validate.OneOf(PARTNER_TYPES))
    country = CountryCode(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PARTNER_STATUSES))
    kyc_status = fields.String(required=True, validate=validate.OneOf(KYC_STATUSES))
    payout_method = fields.Dict(required=True, allow_none=True)
    registered_at = UTCDateTimeField(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class PartnerSuspendedPayload(PartnerSnapshot):
    reason = fields.String(required=True)


PARTNER_REGISTERED = EventContract(
    SOURCE, "partner_registered", 1, PartnerSnapshot,
    "A partner signed up; status PENDING until KYC is verified and it is activated.")
PARTNER_VERIFIED = EventContract(
    SOURCE, "partner_verified", 1, PartnerSnapshot,
    "The partner passed KYC verification (kyc_status VERIFIED).")
PARTNER_ACTIVATED = EventContract(
    SOURCE, "partner_activated", 1, PartnerSnapshot,
    "The partner became ACTIVE: it may enroll in campaigns and earn commissions.")
PARTNER_SUSPENDED = EventContract(
    SOURCE, "partner_suspended", 1, PartnerSuspendedPayload,
    "The partner was SUSPENDED (with the reason): its links stop attributing, "
    "it is skipped by payouts.")
PARTNER_REACTIVATED = EventContract(
    SOURCE, "partner_reactivated", 1, PartnerSnapshot,
    "A SUSPENDED partner is ACTIVE again.")
PARTNER_PAYOUT_METHOD_CHANGED = EventContract(
    SOURCE, "partner_payout_method_changed", 1, PartnerSnapshot,
    "The partner set or changed how it is paid (bank transfer or PayPal details).")

CONTRACTS = (
    PARTNER_REGISTERED, PARTNER_VERIFIED, PARTNER_ACTIVATED, PARTNER_SUSPENDED,
    PARTNER_REACTIVATED, PARTNER_PAYOUT_METHOD_CHANGED,
)
