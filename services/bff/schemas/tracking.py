"""Referral redirects, conversions (brands' postbacks and refunds), traffic stats."""
from __future__ import annotations

import marshmallow
from marshmallow import Schema, fields, validate

from common.contracts.bff import MAX_DEEP_LINK
from common.contracts.tracking import ATTRIBUTIONS
from common.validation import (
    CurrencyCode,
    DecimalString,
    Id,
    StrictSchema,
    TolerantSchema,
    UTCDateTimeField,
)
from services.bff.routing import ActorId, Body
from services.bff.schemas.common import Money, PageQuery, PeriodQuery

CONVERSION_STATUSES = ("ATTRIBUTED", "REJECTED", "UNATTRIBUTED")
MAX_STATS_DAYS = 366


class RedirectQuery(TolerantSchema):
    """Shared links carry whatever their sharer added (utm_*...): ignored, never refused.
    ``to``: a deep link, a page of the landing page's site to send the visitor to."""

    # its length is checked with the site (api/tracking.py): as a maxLength here, a
    # longer value would often be refused as a URI too long (414) before any schema runs
    to = fields.Url(schemes={"http", "https"}, require_tld=False, metadata={
        "description": "A page of the campaign's site (same host as its landing page) to "
                       f"land on instead; at most {MAX_DEEP_LINK} characters."})


class ConversionBody(Body):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             metadata={"description": "Unique per brand: a repeat returns "
                                                      "the first answer and changes nothing."})
    amount = DecimalString(required=True, metadata={"example": "200.00"})
    currency = CurrencyCode(required=True)
    click_id = Id(load_default=None, allow_none=True, metadata={
        "description": "The `click_id` the redirect appended to your landing URL."})
    referral_code = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=64),
                                  metadata={"description": "A code or coupon, without a "
                                                           "click (any case: `BEA10` is "
                                                           "`bea10`)."})
    customer_ip = fields.IP(load_default=None, allow_none=True)
    customer_id = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=320))
    occurred_at = UTCDateTimeField(load_default=None, allow_none=True)
    brand_id = ActorId()

    @marshmallow.post_load
    def _normalised(self, data, **kwargs):
        if data.get("customer_ip") is not None:
            data["customer_ip"] = str(data["customer_ip"])
        if data.get("referral_code") is not None:  # every code is lowercase; a coupon
            data["referral_code"] = data["referral_code"].strip().lower()  # typed may not be
        return data


class RefundBody(Body):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    refund_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=100), metadata={
                                  "description": "Makes retrying a partial refund safe."})
    amount = DecimalString(load_default=None, allow_none=True, metadata={
        "description": "Partial refund; absent: the whole order."})
    brand_id = ActorId()


class ConversionsQuery(PageQuery, PeriodQuery):
    campaign_id = Id()
    status = fields.String(validate=validate.OneOf(CONVERSION_STATUSES))


class ConversionsExportQuery(PeriodQuery):
    """The list's filters, without paging: an export holds every match."""
    campaign_id = Id()
    status = fields.String(validate=validate.OneOf(CONVERSION_STATUSES))


class StatsQuery(StrictSchema):
    """``from``/``to``: UTC days, both included (default: the last 30 days)."""

    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()

    @marshmallow.validates_schema
    def _range(self, data, **kwargs):
        first, last = data.get("from"), data.get("to")
        if first and last and last < first:
            raise marshmallow.ValidationError("Must not be before `from`.", "to")
        if first and last and (last - first).days >= MAX_STATS_DAYS:
            raise marshmallow.ValidationError(f"At most {MAX_STATS_DAYS} days.", "to")


class Refund(Schema):
    refund_id = fields.String(allow_none=True)
    amount = fields.Nested(Money)
    recorded_at = fields.String()


class ConversionOut(Schema):
    conversion_id = fields.String(required=True)
    brand_id = fields.String()
    order_id = fields.String()
    amount = fields.Nested(Money)
    status = fields.String(metadata={"enum": list(CONVERSION_STATUSES)})
    reason = fields.String(allow_none=True)
    partner_id = fields.String(allow_none=True)
    partner_name = fields.String(allow_none=True, metadata={
        "description": "Brands' lists: the partner's name (null if not known yet)."})
    campaign_id = fields.String(allow_none=True)
    enrollment_id = fields.String(allow_none=True)
    referral_code = fields.String(allow_none=True)
    click_id = fields.String(allow_none=True)
    attribution = fields.String(allow_none=True, metadata={
        "enum": list(ATTRIBUTIONS), "description": "What credited it: the link's click, the "
        "referral code alone, or a referred customer's renewal (recurring terms); null if "
        "nothing did."})
    terms_version = fields.Integer(allow_none=True)
    customer_ip = fields.String(allow_none=True, metadata={"description": "Brands only."})
    customer_id = fields.String(allow_none=True, metadata={"description": "Brands only."})
    occurred_at = fields.String()
    recorded_at = fields.String()
    reversed = fields.Nested(Money, allow_none=True)
    fully_reversed = fields.Boolean()
    refunds = fields.List(fields.Nested(Refund))


class DayStats(Schema):
    day = fields.String()
    clicks = fields.Integer()
    valid_clicks = fields.Integer()
    conversions = fields.Integer()
    rejected_conversions = fields.Integer()
    revenue = fields.Nested(Money)
    conversion_rate = fields.String(allow_none=True, metadata={
        "description": "Attributed conversions per valid click (4 places)."})


class Series(Schema):
    currency = fields.String()
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    days = fields.List(fields.Nested(DayStats))
    totals = fields.Nested(DayStats)


class CampaignStatsOut(Series):
    campaign_id = fields.String(required=True)


class PartnerStatsOut(Schema):
    partner_id = fields.String(required=True)
    campaigns = fields.List(fields.Nested(CampaignStatsOut))
