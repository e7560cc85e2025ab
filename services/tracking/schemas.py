"""Marshmallow schemas of the tracking RPC payloads."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import marshmallow
from marshmallow import fields, validate

from common.seedwork.domain.iso import CURRENCY_MINOR_UNITS
from common.seedwork.errors import ValidationError
from common.validation import (
    CurrencyCode,
    DecimalString,
    Id,
    IpAddress,
    Page,
    StrictSchema,
    UTCDateTimeField,
    load,
)

STATUSES = ("ATTRIBUTED", "REJECTED", "UNATTRIBUTED")
MAX_STATS_DAYS = 366


def _optional(field_type, **kwargs):
    return field_type(load_default=None, allow_none=True, **kwargs)


CODE = validate.Length(min=1, max=64)


class RecordClickSchema(StrictSchema):
    referral_code = fields.String(required=True, validate=CODE)
    ip = IpAddress(required=True)
    user_agent = fields.String(required=True, validate=validate.Length(max=1000))
    landing_url = _optional(fields.Url, require_tld=False, schemes={"http", "https"})
    occurred_at = _optional(UTCDateTimeField)


def click_batch(payload: Any, limit: int) -> list[dict | ValidationError]:
    """Each item of a ``record_clicks`` batch, loaded, or its own ValidationError."""
    if not isinstance(payload, list):
        raise ValidationError("Send a list of clicks.", {"clicks": ["Must be a list."]})
    if len(payload) > limit:
        raise ValidationError("Too many clicks in one call.",
                              {"clicks": [f"At most {limit} per call."]})
    return [_load_or_error(item) for item in payload]


def _load_or_error(item: Any) -> dict | ValidationError:
    try:
        return load(RecordClickSchema, item)
    except ValidationError as error:
        return error


MAX_CODES_PER_LOOKUP = 200


class ResolveReferralCodesSchema(StrictSchema):
    codes = fields.List(fields.String(validate=CODE), required=True,
                        validate=validate.Length(min=1, max=MAX_CODES_PER_LOOKUP))


class RecordConversionSchema(StrictSchema):
    brand_id = Id(required=True)
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = DecimalString(required=True)
    currency = CurrencyCode(required=True)
    click_id = _optional(Id)
    referral_code = _optional(fields.String, validate=CODE)
    customer_ip = _optional(IpAddress)
    customer_id = _optional(fields.String, validate=validate.Length(min=1, max=320))
    occurred_at = _optional(UTCDateTimeField)

    @marshmallow.validates_schema
    def _amount_fits_currency(self, data, **kwargs):
        amount, currency = data.get("amount"), data.get("currency")
        if amount is not None and amount <= 0:
            raise marshmallow.ValidationError("Must be greater than zero.", "amount")
        if amount is not None and currency is not None:
            places = CURRENCY_MINOR_UNITS[currency]
            if amount != amount.quantize(Decimal(1).scaleb(-places)):
                raise marshmallow.ValidationError(
                    f"{currency} amounts have at most {places} decimal places.", "amount")


class ReverseConversionSchema(StrictSchema):
    brand_id = Id(required=True)
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    refund_id = _optional(fields.String, validate=validate.Length(min=1, max=100))
    amount = _optional(DecimalString, validate=validate.Range(min=0, min_inclusive=False))


class RecordPartnerIpSchema(StrictSchema):
    partner_id = Id(required=True)
    ip = IpAddress(required=True)


class ConversionIdSchema(StrictSchema):
    conversion_id = Id(required=True)


class ListConversionsSchema(Page):
    partner_id = Id()
    campaign_id = Id()
    brand_id = Id()
    status = fields.String(validate=validate.OneOf(STATUSES))
    start = UTCDateTimeField(data_key="from")
    end = UTCDateTimeField(data_key="to")


class StatsRangeSchema(StrictSchema):
    """``from``/``to``: UTC days (``YYYY-MM-DD``), both included, at most a year."""

    first_day = fields.Date(required=True, data_key="from")
    last_day = fields.Date(required=True, data_key="to")

    @marshmallow.validates_schema
    def _range(self, data, **kwargs):
        first, last = data.get("first_day"), data.get("last_day")
        if first is None or last is None:
            return
        if last < first:
            raise marshmallow.ValidationError("Must not be before `from`.", "to")
        if last - first >= timedelta(days=MAX_STATS_DAYS):
            raise marshmallow.ValidationError(f"At most {MAX_STATS_DAYS} days.", "to")


class CampaignStatsSchema(StatsRangeSchema):
    campaign_id = Id(required=True)


class PartnerStatsSchema(StatsRangeSchema):
    partner_id = Id(required=True)
