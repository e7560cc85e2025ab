"""Marshmallow schemas of the campaigns RPC payloads: shape and types only.

What depends on the business (rate bounds, model-specific fields, currencies matching
the brand, ...) is checked by the domain, which names every bad field the same way.
"""
from __future__ import annotations

import marshmallow
from marshmallow import fields, validate

from common.contracts.campaigns import (
    ADMISSIONS,
    APPLICATION_NOTE_MAX_LENGTH,
    BRAND_NOTE_MAX_LENGTH,
    ENROLLMENT_STATUSES,
)
from common.contracts.partners import PARTNER_TYPES
from common.contracts.shared import CAMPAIGN_STATUSES
from common.seedwork.domain.money import Money
from common.validation import (
    CountryCode,
    CurrencyCode,
    DecimalString,
    Id,
    MoneySchema,
    Page,
    ReferralCode,
    StrictSchema,
    UTCDateTimeField,
)


class MoneyField(fields.Nested):
    """``{"amount": "12.50", "currency": "USD"}`` in, ``Money`` out."""

    def __init__(self, **kwargs):
        super().__init__(MoneySchema, **kwargs)

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        loaded = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        return Money(loaded["amount"], loaded["currency"])


def _not_blank(value: str) -> None:
    if not value.strip():
        raise marshmallow.ValidationError("Must not be blank.")


def _name(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=200), _not_blank], **kwargs)


class RegisterBrandSchema(StrictSchema):
    name = _name(required=True)
    currency = CurrencyCode(required=True)


class BrandIdSchema(StrictSchema):
    brand_id = Id(required=True)


class ListBrandsSchema(Page):
    pass


class TermsSchema(StrictSchema):
    model = fields.String(required=True)
    rate = DecimalString(places=6, load_default=None, allow_none=True)
    min = MoneyField(load_default=None, allow_none=True)
    max = MoneyField(load_default=None, allow_none=True)
    amount = MoneyField(load_default=None, allow_none=True)
    daily_click_cap = fields.Integer(strict=True, load_default=None, allow_none=True)
    recurring_months = fields.Integer(strict=True, load_default=None, allow_none=True)
    attribution_window_days = fields.Integer(strict=True, required=True)
    hold_days = fields.Integer(strict=True, required=True)


class EligibilitySchema(StrictSchema):
    partner_types = fields.List(fields.String(validate=validate.OneOf(PARTNER_TYPES)),
                                load_default=list)
    countries = fields.List(CountryCode(), load_default=list)


class CreateCampaignSchema(StrictSchema):
    brand_id = Id(required=True)
    name = _name(required=True)
    description = fields.String(load_default="", allow_none=True,
                                validate=validate.Length(max=5000))
    currency = CurrencyCode(required=True)
    budget = MoneyField(required=True)
    starts_at = UTCDateTimeField(load_default=None, allow_none=True)
    ends_at = UTCDateTimeField(load_default=None, allow_none=True)
    landing_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                             validate=validate.Length(max=2000))
    eligibility = fields.Nested(EligibilitySchema, load_default=None, allow_none=True)
    terms = fields.Nested(TermsSchema, required=True)
    admission = fields.String(load_default="open", validate=validate.OneOf(ADMISSIONS))

    @marshmallow.post_load
    def _no_null_description(self, data, **kwargs):
        data["description"] = data.get("description") or ""
        return data


class CampaignIdSchema(StrictSchema):
    campaign_id = Id(required=True)


class CampaignActionSchema(CampaignIdSchema):
    acting_brand_id = Id(required=True)


class ChangeTermsSchema(CampaignActionSchema):
    terms = fields.Nested(TermsSchema, required=True)
    effective_from = UTCDateTimeField(load_default=None, allow_none=True)


class ChangeAdmissionSchema(CampaignActionSchema):
    admission = fields.String(required=True, validate=validate.OneOf(ADMISSIONS))


class ChangeBudgetSchema(CampaignActionSchema):
    budget = MoneyField(required=True)


class ListCampaignsSchema(Page):
    brand_id = Id()
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES))


class EnrollPartnerSchema(CampaignIdSchema):
    partner_id = Id(required=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=APPLICATION_NOTE_MAX_LENGTH))


class EnrollmentIdSchema(StrictSchema):
    enrollment_id = Id(required=True)


class EnrollmentActionSchema(EnrollmentIdSchema):
    acting_brand_id = Id(required=True)


class DeclineEnrollmentSchema(EnrollmentActionSchema):
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=BRAND_NOTE_MAX_LENGTH))


class SuspendEnrollmentSchema(EnrollmentActionSchema):
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=BRAND_NOTE_MAX_LENGTH))


class CommissionFiguresSchema(StrictSchema):
    """A partner's own figures: ``rate`` (and ``min``/``max``) for CPS, ``amount`` for
    CPA (which the campaign's model requires is checked by the domain)."""

    rate = DecimalString(places=6, load_default=None, allow_none=True)
    min = MoneyField(load_default=None, allow_none=True)
    max = MoneyField(load_default=None, allow_none=True)
    amount = MoneyField(load_default=None, allow_none=True)


class SetPartnerCommissionSchema(EnrollmentActionSchema):
    commission = fields.Nested(CommissionFiguresSchema, required=True, allow_none=True)


class PartnerEnrollmentActionSchema(EnrollmentIdSchema):
    acting_partner_id = Id(required=True)


class ChangeReferralCodeSchema(EnrollmentIdSchema):
    """By the link's partner or by its campaign's brand: exactly one of the two acts."""

    code = ReferralCode(required=True)
    acting_partner_id = Id(load_default=None, allow_none=True)
    acting_brand_id = Id(load_default=None, allow_none=True)

    @marshmallow.validates_schema
    def _one_actor(self, data, **kwargs):
        if (data.get("acting_partner_id") is None) == (data.get("acting_brand_id") is None):
            message = ["Exactly one of acting_partner_id and acting_brand_id."]
            raise marshmallow.ValidationError({"acting_partner_id": message,
                                               "acting_brand_id": message})


class ListEnrollmentsSchema(Page):
    campaign_id = Id()
    partner_id = Id()
    status = fields.String(validate=validate.OneOf(ENROLLMENT_STATUSES))


class ReferralCodeSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))

    @marshmallow.post_load
    def _normalised(self, data, **kwargs):
        data["code"] = data["code"].strip().lower()  # codes are lower case; typing isn't
        return data
