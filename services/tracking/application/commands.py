from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from common.seedwork.application.messages import Command
from services.tracking.domain.clicks import ClickRequest
from services.tracking.domain.references import CampaignRef, EnrollmentRef, PartnerRef
from services.tracking.domain.terms import PartnerFigures, TermsVersion


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordClicks(Command):
    clicks: tuple[ClickRequest, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordCapturedClicks(Command):
    """Clicks the BFF already redirected (``clicks_captured``): ids and times are theirs."""

    clicks: tuple[ClickRequest, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordConversion(Command):
    brand_id: str
    order_id: str
    amount: Decimal
    currency: str
    click_id: str | None = None
    referral_code: str | None = None
    customer_ip: str | None = None
    customer_id: str | None = None
    occurred_at: datetime | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReverseConversion(Command):
    brand_id: str
    order_id: str
    refund_id: str | None = None
    amount: Decimal | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordPartnerIp(Command):
    partner_id: str
    ip: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class BillValidClicks(Command):
    """Batch every billable click not yet batched (periodic)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PurgeFloodCounters(Command):
    """Forget flooding counters older than their retention (periodic)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PurgeOldClicks(Command):
    """Delete the clicks older than their retention (periodic); a billable one only once
    it is in a CPC batch."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PublishStatsChanges(Command):
    """Publish the daily stats rows changed since their last batch (periodic), at most
    ``max_rows`` per ``stats_changed`` event."""

    max_rows: int = 500


# --- replicas (from other services' events) ---------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplicateCampaign(Command):
    campaign: CampaignRef
    revision: int
    terms: tuple[TermsVersion, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplicateEnrollment(Command):
    """``partner_enrolled`` also carries the campaign and its terms history."""

    enrollment: EnrollmentRef
    revision: int
    campaign: ReplicateCampaign | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplicatePartnerFigures(Command):
    """The brand gave the enrollment's partner its own commission (or took it back)."""

    enrollment: EnrollmentRef
    change: PartnerFigures


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplicatePartner(Command):
    partner: PartnerRef
    revision: int
