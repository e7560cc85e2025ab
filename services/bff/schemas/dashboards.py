"""The two dashboards: a partner's portal home, a brand console's home.

Both are answered from the BFF's read model (services/bff/read_model.py), kept by
events: profiles, campaigns and enrollments as their owners last said (milliseconds
behind), stats, balances, budgets and earnings as the last ``stats_changed`` /
``balances_changed`` batches said (published every 2 s by default). The per-day series
of one campaign are on ``GET .../stats``; the commissions themselves on the commissions
routes.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from services.bff.schemas.campaigns import BudgetOut, Eligibility, EnrollmentOut, TermsOut
from services.bff.schemas.commissions import BalanceOut
from services.bff.schemas.common import Money
from services.bff.schemas.partners import PartnerOut

UNAVAILABLE = {"description": "Parts that could not be read (shown as null); empty when "
                              "the dashboard was read whole, as it normally is."}


class WindowTotals(Schema):
    """A campaign's figures over the dashboard's days."""

    clicks = fields.Integer()
    valid_clicks = fields.Integer()
    conversions = fields.Integer(metadata={"description": "Attributed."})
    rejected_conversions = fields.Integer()
    revenue = fields.Nested(Money, metadata={
        "description": "Attributed order amounts less refunds, in the campaign's currency."})
    conversion_rate = fields.String(allow_none=True, metadata={
        "description": "Attributed conversions per valid click (4 places)."})


class CampaignTotals(Schema):
    campaign_id = fields.String(required=True)
    currency = fields.String()
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    totals = fields.Nested(WindowTotals)


class PartnerTotals(Schema):
    partner_id = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    campaigns = fields.List(fields.Nested(CampaignTotals), metadata={
        "description": "Each campaign with traffic in the window (per day: GET "
                       "/api/v1/partners/{partner_id}/stats)."})


class EnrollmentWithStats(EnrollmentOut):
    stats = fields.Nested(WindowTotals, allow_none=True,
                          metadata={"description": "Totals over the dashboard's days "
                                                   "(null: no traffic)."})


class ChartDay(Schema):
    day = fields.String()
    clicks = fields.Integer()
    conversions = fields.Integer()
    earnings = fields.List(fields.Nested(Money), metadata={
        "description": "What the partner's balance grew by that UTC day, per currency: "
                       "commissions earned, less refunds and declines booked that day."})


class PartnerChart(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    currencies = fields.List(fields.String())
    complete = fields.Boolean(metadata={
        "description": "Always true: every commission of the window counts."})
    days = fields.List(fields.Nested(ChartDay))


class PartnerDashboardOut(Schema):
    profile = fields.Nested(PartnerOut, required=True)
    enrollments = fields.List(fields.Nested(EnrollmentWithStats), allow_none=True,
                              metadata={"description": "The newest 50 links."})
    stats = fields.Nested(PartnerTotals, allow_none=True)
    balance = fields.Nested(BalanceOut, allow_none=True)
    chart = fields.Nested(PartnerChart, required=True, metadata={
        "description": "Every day of the window: clicks, conversions, earnings."})
    unavailable = fields.List(fields.String(), required=True, metadata=UNAVAILABLE)


class DashboardCampaign(Schema):
    """A campaign as its latest event said (GET /api/v1/campaigns/{campaign_id}: the
    description and every terms version too)."""

    campaign_id = fields.String(required=True)
    brand_id = fields.String()
    name = fields.String()
    currency = fields.String()
    status = fields.String()
    budget = fields.Nested(Money)
    starts_at = fields.String(allow_none=True)
    ends_at = fields.String(allow_none=True)
    landing_url = fields.String()
    eligibility = fields.Nested(Eligibility)
    terms = fields.Nested(TermsOut, metadata={"description": "The version in force."})
    revision = fields.Integer()
    updated_at = fields.String()


class PendingCount(Schema):
    count = fields.Integer(required=True)
    amount = fields.Nested(Money, required=True)


class CampaignSummary(Schema):
    campaign = fields.Nested(DashboardCampaign, required=True)
    budget = fields.Nested(BudgetOut, allow_none=True)
    stats = fields.Nested(CampaignTotals, allow_none=True)
    pending_commissions = fields.Nested(PendingCount, metadata={
        "description": "Its commissions awaiting approval (PENDING): how many, what "
                       "they owe."})
    pending_applications = fields.Integer(metadata={
        "description": "Partners' applications awaiting the brand's review (PENDING)."})


class PendingCommissions(Schema):
    count = fields.Integer(required=True)
    amounts = fields.List(fields.Nested(Money), required=True, metadata={
        "description": "What they owe, per currency (the list: GET "
                       "/api/v1/brands/{brand_id}/commissions?status=PENDING)."})


class TopPartner(Schema):
    partner_id = fields.String(required=True)
    name = fields.String(allow_none=True, metadata={"description": "Null if not known yet."})
    conversions = fields.Integer(required=True)
    clicks = fields.Integer(required=True)
    revenue = fields.List(fields.Nested(Money), required=True, metadata={
        "description": "The orders' amounts, per currency."})


class BrandDashboardOut(Schema):
    brand = fields.Dict(required=True)
    campaigns = fields.List(fields.Nested(CampaignSummary), required=True,
                            metadata={"description": "The newest 50 campaigns."})
    campaigns_total = fields.Integer()
    top_partners = fields.List(fields.Nested(TopPartner), required=True, metadata={
        "description": "The window's 10 partners with the most conversions (then clicks), "
                       "over the brand's campaigns."})
    pending_commissions = fields.Nested(PendingCommissions, allow_none=True, metadata={
        "description": "The brand's commissions awaiting approval, over every campaign."})
    pending_applications = fields.Integer(metadata={
        "description": "Partners' applications awaiting review, over every campaign."})
    unavailable = fields.List(fields.String(), required=True, metadata=UNAVAILABLE)
