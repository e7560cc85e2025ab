"""Campaigns, their terms and budget (brands), available campaigns and links (partners).

Shapes and types only: the campaigns service checks the business rules (rate bounds,
model-specific amounts, currency of the brand...) and names each bad field itself.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common.contracts.campaigns import (
    ADMISSIONS,
    APPLICATION_NOTE_MAX_LENGTH,
    BRAND_NOTE_MAX_LENGTH,
    ENROLLMENT_STATUSES,
)
from common.contracts.partners import PARTNER_TYPES
from common.contracts.shared import CAMPAIGN_STATUSES, TERMS_MODELS
from common.validation import (
    CountryCode,
    CurrencyCode,
    DecimalString,
    Id,
    ReferralCode,
    UTCDateTimeField,
)
from services.bff.routing import ActorId, Body
from services.bff.schemas.common import Money, MoneyIn, PageQuery

ADMISSION = ("How partners join: `open` (at once, the default) or `review` (they apply, "
             "the brand approves or declines each application).")


class TermsIn(Body):
    model = fields.String(required=True, validate=validate.OneOf(TERMS_MODELS))
    rate = DecimalString(load_default=None, allow_none=True, metadata={
        "description": "CPS: share of the order amount, 0 < rate <= 1.", "example": "0.10"})
    min = fields.Nested(MoneyIn, load_default=None, allow_none=True)
    max = fields.Nested(MoneyIn, load_default=None, allow_none=True)
    amount = fields.Nested(MoneyIn, load_default=None, allow_none=True,
                           metadata={"description": "CPA/CPC: fixed amount."})
    daily_click_cap = fields.Integer(strict=True, load_default=None, allow_none=True)
    recurring_months = fields.Integer(strict=True, load_default=None, allow_none=True, metadata={
        "description": "CPS/CPA: a referred customer's later orders (no click or code) "
                       "earn their partner for this many months (1-120) after the "
                       "customer's first attributed order; null: they do not."})
    attribution_window_days = fields.Integer(strict=True, required=True)
    hold_days = fields.Integer(strict=True, required=True)


class EligibilityIn(Body):
    partner_types = fields.List(fields.String(validate=validate.OneOf(PARTNER_TYPES)),
                                load_default=list)
    countries = fields.List(CountryCode(), load_default=list)


class CampaignBody(Body):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    currency = CurrencyCode(required=True)
    budget = fields.Nested(MoneyIn, required=True)
    starts_at = UTCDateTimeField(load_default=None, allow_none=True)
    ends_at = UTCDateTimeField(load_default=None, allow_none=True)
    landing_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                             validate=validate.Length(max=2000))
    eligibility = fields.Nested(EligibilityIn, load_default=None, allow_none=True)
    terms = fields.Nested(TermsIn, required=True)
    admission = fields.String(load_default="open", validate=validate.OneOf(ADMISSIONS),
                              metadata={"description": ADMISSION})
    brand_id = ActorId()


class TermsChangeBody(Body):
    terms = fields.Nested(TermsIn, required=True)
    effective_from = UTCDateTimeField(load_default=None, allow_none=True, metadata={
        "description": "When the new version takes effect (default: now)."})
    brand_id = ActorId()


class AdmissionChangeBody(Body):
    admission = fields.String(required=True, validate=validate.OneOf(ADMISSIONS),
                              metadata={"description": ADMISSION})
    brand_id = ActorId()


class BudgetChangeBody(Body):
    budget = fields.Nested(MoneyIn, required=True, metadata={
        "description": "The new total, in the campaign's currency."})
    brand_id = ActorId()


class CampaignsQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES))


class EnrollmentsQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ENROLLMENT_STATUSES))


class EnrollBody(Body):
    campaign_id = Id(required=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=APPLICATION_NOTE_MAX_LENGTH), metadata={
        "description": "A campaign that reviews its partners: what the partner tells "
                       "the brand with its application (ignored by an open campaign)."})
    partner_id = ActorId()


class SuspendLinkBody(Body):
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=BRAND_NOTE_MAX_LENGTH), metadata={
        "description": "Why the brand suspends the link (shown to the partner and in the "
                       "email it gets); optional."})


class DeclineApplicationBody(Body):
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=BRAND_NOTE_MAX_LENGTH), metadata={
        "description": "What the brand tells the partner (shown to the partner and in "
                       "the email it gets); optional."})


class PartnerCommissionBody(Body):
    """What this partner earns in place of the campaign's figures, from now on."""

    rate = DecimalString(load_default=None, allow_none=True, metadata={
        "description": "A CPS campaign: this partner's share of the order amount, "
                       "0 < rate <= 1.", "example": "0.15"})
    min = fields.Nested(MoneyIn, load_default=None, allow_none=True, metadata={
        "description": "A CPS campaign: the least per conversion (optional)."})
    max = fields.Nested(MoneyIn, load_default=None, allow_none=True, metadata={
        "description": "A CPS campaign: the most per conversion (optional)."})
    amount = fields.Nested(MoneyIn, load_default=None, allow_none=True, metadata={
        "description": "A CPA campaign: this partner's fixed amount per conversion."})
    brand_id = ActorId()


class ReferralCodeBody(Body):
    code = ReferralCode(required=True, metadata={
        "description": "3 to 16 letters, digits and hyphens, starting and ending with a "
                       "letter or a digit; taken lowercase.", "example": "bea10"})


class CommissionOut(Schema):
    model = fields.String(metadata={"enum": list(TERMS_MODELS), "description":
                                    "The campaign's model the figures were written for."})
    rate = fields.String(allow_none=True)
    min = fields.Nested(Money, allow_none=True)
    max = fields.Nested(Money, allow_none=True)
    amount = fields.Nested(Money, allow_none=True)


class TermsOut(Schema):
    version = fields.Integer()
    model = fields.String(metadata={"enum": list(TERMS_MODELS)})
    rate = fields.String(allow_none=True)
    min = fields.Nested(Money, allow_none=True)
    max = fields.Nested(Money, allow_none=True)
    amount = fields.Nested(Money, allow_none=True)
    daily_click_cap = fields.Integer(allow_none=True)
    recurring_months = fields.Integer(allow_none=True)
    attribution_window_days = fields.Integer()
    hold_days = fields.Integer()
    effective_from = fields.String(allow_none=True)
    partner_commission = fields.Boolean(metadata={
        "description": "Terms a conversion was priced with: true when the figures were "
                       "the partner's own, set by the brand (absent or false: the "
                       "campaign's)."})


class Eligibility(Schema):
    partner_types = fields.List(fields.String())
    countries = fields.List(fields.String())


class CampaignOut(Schema):
    campaign_id = fields.String(required=True)
    brand_id = fields.String()
    name = fields.String()
    description = fields.String()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(CAMPAIGN_STATUSES)})
    pause_reason = fields.String(allow_none=True)
    budget = fields.Nested(Money)
    starts_at = fields.String(allow_none=True)
    ends_at = fields.String(allow_none=True)
    landing_url = fields.String()
    eligibility = fields.Nested(Eligibility)
    admission = fields.String(metadata={"enum": list(ADMISSIONS), "description": ADMISSION})
    terms = fields.Nested(TermsOut)
    terms_history = fields.List(fields.Nested(TermsOut))
    revision = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()


class AvailableCampaignOut(Schema):
    """What a partner sees of a campaign: what it pays and whether it may join."""

    campaign_id = fields.String(required=True)
    brand_id = fields.String()
    name = fields.String()
    description = fields.String()
    currency = fields.String()
    starts_at = fields.String(allow_none=True)
    ends_at = fields.String(allow_none=True)
    landing_url = fields.String()
    eligibility = fields.Nested(Eligibility)
    admission = fields.String(metadata={"enum": list(ADMISSIONS), "description": ADMISSION})
    terms = fields.Nested(TermsOut)
    eligible = fields.Boolean(required=True)
    enrolled = fields.Boolean(required=True, metadata={
        "description": "The partner has a link here (ACTIVE or SUSPENDED)."})
    enrollment_status = fields.String(required=True, allow_none=True, metadata={
        "enum": list(ENROLLMENT_STATUSES),
        "description": "The partner's enrollment or application here; null: none."})
    enrollment_id = fields.String(required=True, allow_none=True, metadata={
        "description": "That enrollment or application (to withdraw it); null: none."})
    suspension_reason = fields.String(required=True, allow_none=True, metadata={
        "description": "A suspended link: why (`partner_left`: the partner left; it "
                       "joins again by enrolling)."})
    decline_reason = fields.String(required=True, allow_none=True, metadata={
        "description": "A declined application: what the brand said, if anything."})


class TermsHistoryOut(Schema):
    campaign_id = fields.String(required=True)
    current = fields.Nested(TermsOut)
    items = fields.List(fields.Nested(TermsOut), required=True)


class BudgetOut(Schema):
    campaign_id = fields.String(required=True)
    total = fields.Nested(Money)
    reserved = fields.Nested(Money)
    remaining = fields.Nested(Money)
    exhausted = fields.Boolean()


class EnrollmentOut(Schema):
    enrollment_id = fields.String(required=True)
    campaign_id = fields.String()
    brand_id = fields.String()
    partner_id = fields.String()
    partner_name = fields.String(allow_none=True, metadata={
        "description": "Brands' lists: the partner's name (null if not known yet)."})
    referral_code = fields.String(allow_none=True, metadata={
        "description": "Null while an application is PENDING or DECLINED."})
    tracking_url = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(ENROLLMENT_STATUSES)})
    suspension_reason = fields.String(allow_none=True)
    suspension_note = fields.String(allow_none=True, metadata={
        "description": "A link the brand suspended: what it said, if anything."})
    applied_at = fields.String(allow_none=True, metadata={
        "description": "When the partner applied (campaigns that review); null otherwise."})
    application_note = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True, metadata={
        "description": "A DECLINED application: what the brand said, if anything."})
    commission = fields.Nested(CommissionOut, allow_none=True, metadata={
        "description": "This partner's own figures, set by the brand, paid in place of "
                       "the campaign's while its terms keep `model`; null: the campaign's."})
    commission_since = fields.String(allow_none=True, metadata={
        "description": "When the figures paid now (its own or the campaign's again) "
                       "took effect; null: never changed."})
    enrolled_at = fields.String(allow_none=True)
    updated_at = fields.String()
    revision = fields.Integer()
