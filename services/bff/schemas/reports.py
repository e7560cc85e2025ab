"""Reports a brand reads over a period of its choosing, from the BFF's read model."""
from __future__ import annotations

from datetime import timedelta

import marshmallow
from marshmallow import Schema, fields

from common.validation import Id
from services.bff.schemas.common import PageQuery
from services.bff.schemas.dashboards import WindowTotals

MAX_REPORT_DAYS = 366  # the rows read grow with the days: a year at most per report


class PerformancePeriod(marshmallow.Schema):
    """``from`` (included) and ``to`` (excluded) UTC days: a month is ``from`` its first
    day ``to`` the next month's. Absent: the last 30 days, today included."""

    from_ = fields.Date(data_key="from", attribute="from", metadata={"example": "2026-11-01"})
    to = fields.Date(metadata={"example": "2026-12-01"})
    campaign_id = Id(metadata={"description": "One campaign of the brand's (absent: all)."})

    @marshmallow.validates_schema
    def _a_period_of_days(self, data, **_):
        first, end = data.get("from"), data.get("to")
        if first and end and end <= first:
            raise marshmallow.ValidationError("Must be after 'from'.", "to")
        if first and end and end - first > timedelta(days=MAX_REPORT_DAYS):
            raise marshmallow.ValidationError(
                f"At most {MAX_REPORT_DAYS} days after 'from'.", "to")


class PartnerPerformanceQuery(PageQuery, PerformancePeriod):
    pass


class PartnerPerformanceExportQuery(PerformancePeriod):
    """The report's filters, without paging: an export holds every row."""


class PartnerPerformanceRow(WindowTotals):
    partner_id = fields.String(required=True)
    name = fields.String(allow_none=True, metadata={
        "description": "As the partner's latest event said (null: not heard of yet)."})
    currency = fields.String(metadata={
        "description": "A row per partner and currency: its campaigns' in this one."})


class PartnerPerformanceOut(Schema):
    brand_id = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String(metadata={"description": "Excluded."})
    campaign_id = fields.String(allow_none=True)
    items = fields.List(fields.Nested(PartnerPerformanceRow), required=True, metadata={
        "description": "Ranked by conversions, then clicks."})
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
