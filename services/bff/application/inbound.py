"""Received integration events -> the read model's commands. Each event arrives checked
and read by its contract (``ReceivedEvent``); these only translate, to what the
dashboards show (documents in their wire shape: the views hand them out as they are)."""
from __future__ import annotations

from datetime import datetime

from common.contracts.shared import CampaignSnapshot
from common.seedwork.application.integration import ReceivedEvent
from common.seedwork.domain.clock import as_utc, isoformat
from common.validation import schema_instance
from services.bff.application import commands
from services.bff.application.projection import BUCKETS, Counts, LedgerRow, StatsRow

PROFILE_FIELDS = ("partner_id", "name", "email", "type", "country", "status", "kyc_status",
                  "payout_method", "registered_at", "revision")
ENROLLMENT_FIELDS = ("enrollment_id", "campaign_id", "brand_id", "partner_id",
                     "referral_code", "tracking_url", "status", "revision")


def occurred_at(event: ReceivedEvent) -> datetime:
    return as_utc(datetime.fromisoformat(event.occurred_at))


def profile(event: ReceivedEvent) -> commands.KeepProfile:
    """Any partner event (``partner_suspended`` also says why)."""
    data = event.data
    return commands.KeepProfile(revision=data["revision"], profile={
        **{name: data[name] for name in PROFILE_FIELDS},
        "suspension_reason": data.get("reason"), "updated_at": occurred_at(event)})


def brand(event: ReceivedEvent) -> commands.KeepBrand:
    data = event.data
    return commands.KeepBrand(brand_id=data["brand_id"], brand={
        "brand_id": data["brand_id"], "name": data["name"], "currency": data["currency"],
        "registered_at": isoformat(data["registered_at"])})


def campaign(event: ReceivedEvent) -> commands.KeepCampaign:
    """Any campaign event: its snapshot, as the dashboard shows a campaign."""
    snapshot = event.data["campaign"]
    at = occurred_at(event)
    return commands.KeepCampaign(
        campaign_id=snapshot["campaign_id"], brand_id=snapshot["brand_id"],
        revision=snapshot["revision"], occurred_at=at, created=event.type == "campaign_created",
        campaign={**schema_instance(CampaignSnapshot).dump(snapshot),
                  "updated_at": isoformat(at)})


def application(event: ReceivedEvent) -> commands.KeepEnrollmentState:
    """``enrollment_requested``, ``_declined``, ``_withdrawn``: an application's status."""
    data = event.data
    return commands.KeepEnrollmentState(
        enrollment_id=data["enrollment_id"], brand_id=data["brand_id"],
        campaign_id=data["campaign_id"], status=data["status"], revision=data["revision"])


def enrollment(event: ReceivedEvent) -> commands.KeepEnrollment:
    """``partner_enrolled``, ``enrollment_suspended`` (with its reason), ``_reactivated``,
    ``_code_changed`` (a suspended link's reason with it)."""
    data = event.data
    suspended = data["status"] == "SUSPENDED"
    return commands.KeepEnrollment(
        enrollment_id=data["enrollment_id"], partner_id=data["partner_id"],
        enrolled_at=data["enrolled_at"], revision=data["revision"],
        enrollment={**{name: data[name] for name in ENROLLMENT_FIELDS},
                    "suspension_reason": data.get("reason") if suspended else None,
                    "enrolled_at": isoformat(data["enrolled_at"]),
                    "updated_at": isoformat(occurred_at(event))})


def stats(event: ReceivedEvent) -> commands.KeepStats:
    return commands.KeepStats(rows=tuple(StatsRow(
        partner_id=row["partner_id"], campaign_id=row["campaign_id"], day=row["day"],
        currency=row["revenue"]["currency"], revision=row["revision"],
        counts=Counts(clicks=row["clicks"], valid_clicks=row["valid_clicks"],
                      conversions=row["conversions"],
                      rejected_conversions=row["rejected_conversions"],
                      revenue=row["revenue"]["amount"]))
        for row in event.data["rows"]))


def balances(event: ReceivedEvent) -> commands.KeepBalances:
    data = event.data
    return commands.KeepBalances(
        ledgers=tuple(LedgerRow(partner_id=row["partner_id"], currency=row["currency"],
                                buckets={bucket: row[bucket] for bucket in BUCKETS},
                                revision=row["revision"], updated_at=row["updated_at"])
                      for row in data["ledgers"]),
        budgets=tuple({"campaign_id": row["campaign_id"], "brand_id": row["brand_id"],
                       "currency": row["total"]["currency"], "total": row["total"]["amount"],
                       "reserved": row["reserved"]["amount"], "exhausted": row["exhausted"],
                       "pending_count": row["pending_count"],
                       "pending_amount": row["pending_amount"]["amount"],
                       "revision": row["revision"]}
                      for row in data["budgets"]))
