"""Events of the ``tracking`` service: attributed, rejected and reversed conversions,
batches of valid clicks for CPC terms, and the daily stats rows that changed (a batched
snapshot a timer publishes every few seconds, for read models: never one per click or
conversion)."""
from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.contracts.shared import TermsSnapshot, money
from common.validation import Id, TolerantSchema, UTCDateTimeField

SOURCE = "tracking"
ATTRIBUTIONS = ("click", "code", "customer")
REJECTION_REASONS = ("self_referral", "click_flooding", "too_fast", "partner_suspended",
                     "enrollment_suspended", "campaign_inactive")


class ConversionAttributed(TolerantSchema):
    conversion_id = Id(required=True)
    brand_id = Id(required=True)
    campaign_id = Id(required=True)
    partner_id = Id(required=True)
    enrollment_id = Id(required=True)
    referral_code = fields.String(required=True)
    click_id = Id(required=True, allow_none=True)
    # what credited it: the click, the code alone, or a referred customer's renewal
    # (no click nor code; optional: absent from events published before it existed)
    attribution = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(ATTRIBUTIONS))
    order_id = fields.String(required=True)
    order_amount = money(required=True)
    terms_version = fields.Integer(required=True)
    terms = fields.Nested(TermsSnapshot, required=True)  # the version in force at occurred_at
    occurred_at = UTCDateTimeField(required=True)      # when the conversion happened


class ConversionRejected(TolerantSchema):
    conversion_id = Id(required=True)
    brand_id = Id(required=True)
    campaign_id = Id(required=True, allow_none=True)
    partner_id = Id(required=True, allow_none=True)
    order_id = fields.String(required=True)
    order_amount = money(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REJECTION_REASONS))
    occurred_at = UTCDateTimeField(required=True)


class ConversionReversed(TolerantSchema):
    conversion_id = Id(required=True)
    brand_id = Id(required=True)
    campaign_id = Id(required=True)
    partner_id = Id(required=True)
    order_id = fields.String(required=True)
    refund_id = fields.String(required=True)
    order_amount = money(required=True)
    reversed_amount = money(required=True)   # this refund
    total_reversed = money(required=True)    # every refund of the order so far
    fully_reversed = fields.Boolean(required=True)
    occurred_at = UTCDateTimeField(required=True)


class ClicksAttributed(TolerantSchema):
    """Valid clicks of one partner on one campaign during one UTC day (a batch; a day can
    have several batches). ``event_id`` identifies the batch; ``batch_id`` is the id
    tracking stamped on the batch's clicks (for audits)."""

    batch_id = Id(load_default=None, allow_none=True)
    brand_id = Id(required=True)
    campaign_id = Id(required=True)
    partner_id = Id(required=True)
    enrollment_id = Id(required=True)
    day = fields.Date(required=True)
    valid_clicks = fields.Integer(required=True, validate=validate.Range(min=1))
    first_click_at = UTCDateTimeField(required=True)
    last_click_at = UTCDateTimeField(required=True)
    terms_version = fields.Integer(required=True)
    terms = fields.Nested(TermsSnapshot, required=True)


class DailyStatsRow(TolerantSchema):
    """One partner's traffic on one campaign during one UTC day, as tracking counts it
    now (whole counters, not increments). ``revision`` goes up with every change of the
    row: a consumer keeps the highest it has seen and ignores older ones, so a batch
    redelivered or overtaken by a newer one never rolls a figure back."""

    partner_id = Id(required=True)
    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    day = fields.Date(required=True)
    clicks = fields.Integer(required=True, validate=validate.Range(min=0))
    valid_clicks = fields.Integer(required=True, validate=validate.Range(min=0))
    conversions = fields.Integer(required=True, validate=validate.Range(min=0))  # attributed
    rejected_conversions = fields.Integer(required=True, validate=validate.Range(min=0))
    revenue = money(required=True)   # attributed order amounts less refunds, campaign currency
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class StatsChanged(TolerantSchema):
    rows = fields.List(fields.Nested(DailyStatsRow), required=True,
                       validate=validate.Length(min=1))


CONVERSION_ATTRIBUTED = EventContract(
    SOURCE, "conversion_attributed", 1, ConversionAttributed,
    "A conversion was attributed to a partner's click or code; carries the terms version "
    "in force when it happened.")
CONVERSION_REJECTED = EventContract(
    SOURCE, "conversion_rejected", 1, ConversionRejected,
    "A conversion was refused by a fraud or status rule; no commission is owed.")
CONVERSION_REVERSED = EventContract(
    SOURCE, "conversion_reversed", 1, ConversionReversed,
    "An attributed order was refunded, fully or in part (one event per refund).")
CLICKS_ATTRIBUTED = EventContract(
    SOURCE, "clicks_attributed", 1, ClicksAttributed,
    "A batch of valid clicks for a partner on a CPC campaign, per UTC day.")

STATS_CHANGED = EventContract(
    SOURCE, "stats_changed", 1, StatsChanged,
    "The daily stats rows (partner x campaign x UTC day) that changed since the previous "
    "batch, each whole with its revision; published by a timer every few seconds "
    "(`TRACKING.stats_changed_interval_seconds`), at most `stats_changed_max_rows` rows "
    "per event.")

CONTRACTS = (CONVERSION_ATTRIBUTED, CONVERSION_REJECTED, CONVERSION_REVERSED,
             CLICKS_ATTRIBUTED, STATS_CHANGED)
