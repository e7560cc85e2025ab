"""Payload pieces several contracts share: money and campaign terms."""
from marshmallow import fields, validate

from common.validation import (
    CountryCode,
    DecimalString,
    Id,
    MoneySchema,
    TolerantSchema,
    UTCDateTimeField,
)

TERMS_MODELS = ("CPS", "CPA", "CPC")
CAMPAIGN_STATUSES = ("DRAFT", "ACTIVE", "PAUSED", "ENDED", "CANCELLED")


def money(**kwargs):
    """``{"amount": "12.50", "currency": "USD"}``."""
    return fields.Nested(MoneySchema, **kwargs)


class TermsSnapshot(TolerantSchema):
    """One version of a campaign's contract terms.

    * ``CPS``: ``rate`` (0 < rate <= 1) of the order amount, clamped to ``min``/``max``
      when given;
    * ``CPA``: fixed ``amount`` per attributed conversion;
    * ``CPC``: fixed ``amount`` per valid click, at most ``daily_click_cap`` paid clicks
      per partner per UTC day when given.

    ``recurring_months`` (CPS and CPA, optional): a referred customer's later orders that
    no click or code credits earn their partner for that many calendar months after the
    customer's first attributed order (None: none do).

    ``effective_from``: the version is in force for conversions that happened at or after
    this moment (until the next version's ``effective_from``).

    ``partner_commission`` (optional, false when absent): the figures (``rate``, ``min``,
    ``max``, ``amount``) are the partner's own, set by its brand in place of the
    campaign's (``CommissionFigures``); the rest is the campaign's version.
    """

    version = fields.Integer(required=True, validate=validate.Range(min=1))
    model = fields.String(required=True, validate=validate.OneOf(TERMS_MODELS))
    rate = DecimalString(load_default=None, allow_none=True)
    min = money(load_default=None, allow_none=True)
    max = money(load_default=None, allow_none=True)
    amount = money(load_default=None, allow_none=True)
    daily_click_cap = fields.Integer(load_default=None, allow_none=True)
    recurring_months = fields.Integer(load_default=None, allow_none=True,
                                      validate=validate.Range(1, 120))
    attribution_window_days = fields.Integer(required=True, validate=validate.Range(1, 90))
    hold_days = fields.Integer(required=True, validate=validate.Range(0, 90))
    effective_from = UTCDateTimeField(required=True)
    partner_commission = fields.Boolean()  # absent: false (the campaign's own figures)


class CommissionFigures(TolerantSchema):
    """One partner's own figures in a campaign, in place of the campaign's: ``rate``
    (0 < rate <= 1, clamped to the optional ``min``/``max``) where the campaign pays CPS,
    ``amount`` where it pays CPA (a campaign paying per click pays every partner its
    amount). ``model``: the campaign's model they were written for; they apply only while
    the campaign's terms keep it."""

    model = fields.String(required=True, validate=validate.OneOf(TERMS_MODELS))
    rate = DecimalString(load_default=None, allow_none=True)
    min = money(load_default=None, allow_none=True)
    max = money(load_default=None, allow_none=True)
    amount = money(load_default=None, allow_none=True)


class Eligibility(TolerantSchema):
    """Empty lists mean everyone."""

    partner_types = fields.List(fields.String(), required=True)
    countries = fields.List(CountryCode(), required=True)


class CampaignSnapshot(TolerantSchema):
    """A campaign's state at one revision (carried by every campaign event)."""

    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    name = fields.String(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_STATUSES))
    starts_at = UTCDateTimeField(required=True, allow_none=True)
    ends_at = UTCDateTimeField(required=True, allow_none=True)
    landing_url = fields.Url(required=True, require_tld=False)
    budget = money(required=True)
    eligibility = fields.Nested(Eligibility, required=True)
    terms = fields.Nested(TermsSnapshot, required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
