"""The two dashboards: a partner's portal home, a brand console's home."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.bff.schemas.campaigns import BudgetOut, CampaignOut, EnrollmentOut
from services.bff.schemas.commissions import BalanceOut, CommissionOut
from services.bff.schemas.common import Money
from services.bff.schemas.partners import PartnerOut
from services.bff.schemas.tracking import DayStats, PartnerStatsOut, Series

UNAVAILABLE = {"description": "Parts whose service did not answer in time (shown as null)."}


class EnrollmentWithStats(EnrollmentOut):
    stats = fields.Nested(DayStats, allow_none=True,
                          metadata={"description": "Totals over the dashboard's days."})


class ChartDay(Schema):
    day = fields.String()
    clicks = fields.Integer()
    conversions = fields.Integer()
    earnings = fields.List(fields.Nested(Money), metadata={
        "description": "What the day's commissions owe, per currency (refused ones left "
                       "out)."})


class PartnerChart(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    currencies = fields.List(fields.String())
    complete = fields.Boolean(metadata={
        "description": "False when the window holds more commissions than the dashboard "
                       "reads (its newest 100): the earnings are then partial."})
    days = fields.List(fields.Nested(ChartDay))


class PartnerDashboardOut(Schema):
    profile = fields.Nested(PartnerOut, required=True)
    enrollments = fields.List(fields.Nested(EnrollmentWithStats), allow_none=True)
    stats = fields.Nested(PartnerStatsOut, allow_none=True)
    balance = fields.Nested(BalanceOut, allow_none=True)
    chart = fields.Nested(PartnerChart, required=True, metadata={
        "description": "Every day of the window: clicks, conversions, earnings."})
    unavailable = fields.List(fields.String(), required=True, metadata=UNAVAILABLE)


class CampaignSummary(Schema):
    campaign = fields.Nested(CampaignOut, required=True)
    budget = fields.Nested(BudgetOut, allow_none=True)
    stats = fields.Nested(Series, allow_none=True)


class PendingCommissions(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(CommissionOut))


class BrandDashboardOut(Schema):
    brand = fields.Dict(required=True)
    campaigns = fields.List(fields.Nested(CampaignSummary), required=True)
    campaigns_total = fields.Integer()
    pending_commissions = fields.Nested(PendingCommissions, allow_none=True)
    unavailable = fields.List(fields.String(), required=True, metadata=UNAVAILABLE)
