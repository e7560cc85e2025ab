"""What the tracking use cases need from storage (implemented in infrastructure; faked
in the unit tests). Each is a repository bound to the unit of work's transaction."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from services.tracking.application.projections import Tallies
from services.tracking.domain.attribution import CustomerReferral
from services.tracking.domain.billing import BillableClick, ClickBatch
from services.tracking.domain.clicks import Click, ClickRequest, ClickTrace
from services.tracking.domain.conversion import Conversion
from services.tracking.domain.fraud import FloodKey
from services.tracking.domain.references import (
    CampaignRef,
    EnrollmentRef,
    PartnerRef,
    ReferralTarget,
)
from services.tracking.domain.stats import DailyStatsRow, StatsSnapshot
from services.tracking.domain.terms import PartnerFigures, TermsHistory, TermsVersion


class References(Protocol):
    """Replicas of campaigns, terms, enrollments and partners, and partners' own IPs.
    ``replicate_*`` keep whichever revision is newest (older ones are ignored)."""

    def targets_by_code(self, codes: Iterable[str]) -> dict[str, ReferralTarget]: ...
    def targets_by_retired_code(self, codes: Iterable[str]) -> dict[str, ReferralTarget]:
        """The links that had these codes before choosing others, by those codes."""

    def target_by_enrollment(self, enrollment_id: str) -> ReferralTarget | None: ...
    def terms_histories(self, campaign_ids: Iterable[str]) -> dict[str, TermsHistory]: ...
    def partner_ips(self, partner_id: str) -> set[str]: ...
    def add_partner_ip(self, partner_id: str, ip: str, now: datetime) -> None: ...
    def replicate_campaign(self, campaign: CampaignRef, revision: int,
                           now: datetime) -> None: ...
    def add_terms(self, campaign_id: str, versions: Iterable[TermsVersion]) -> None: ...
    def replicate_enrollment(self, enrollment: EnrollmentRef, revision: int,
                             now: datetime) -> None: ...
    def replicate_partner(self, partner: PartnerRef, revision: int, now: datetime) -> None: ...
    def add_figures(self, enrollment_id: str, change: PartnerFigures) -> None:
        """A partner's own commission from ``change.effective_from`` (once per revision)."""


class Clicks(Protocol):
    def count_for_flooding(self, batch: Mapping[FloodKey, int]) -> dict[FloodKey, int]:
        """Add ``batch`` (clicks per key) to the flooding counters; the totals after."""
    def add(self, clicks: list[Click]) -> None: ...
    def known_ids(self, click_ids: list[str]) -> set[str]:
        """Which of these click ids are stored already (recorded or parked)."""
    def park(self, requests: list[ClickRequest], now: datetime) -> None:
        """Keep clicks on a code not replicated yet (ids already parked are ignored)."""
    def parked(self, limit: int) -> list[ClickRequest]: ...
    def unpark(self, click_ids: list[str]) -> None: ...
    def get(self, click_id: str) -> ClickTrace | None: ...
    def latest_from_ip(self, brand_id: str, ip: str, since: datetime,
                       until: datetime) -> ClickTrace | None: ...
    def unbilled(self, limit: int) -> list[BillableClick]:
        """Billable clicks not yet in a batch, oldest first; locked against other
        instances of the service until the transaction ends."""
    def purge_flood_counts(self, before: datetime) -> int: ...
    def purge_older_than(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` clicks that happened before ``before`` (a billable one
        only once in a CPC batch); how many went."""


class Conversions(Protocol):
    def add(self, conversion: Conversion) -> None:
        """Raises DuplicateOrder when the brand's order is already recorded."""
    def save(self, conversion: Conversion) -> None: ...
    def get_by_order(self, brand_id: str, order_id: str, *,
                     for_update: bool = False) -> Conversion | None: ...
    def customer_referral(self, brand_id: str, customer_id: str,
                          until: datetime) -> CustomerReferral | None:
        """The customer's first attributed order with the brand that happened by
        ``until`` (earliest ``occurred_at``), or None."""


class ClickBatches(Protocol):
    def add(self, batch: ClickBatch) -> None:
        """Stamp the batch's clicks; ConcurrencyConflict if one was batched already."""


class Stats(Protocol):
    def add(self, tallies: Tallies) -> None: ...
    def any_changed(self) -> bool: ...
    def changed(self, limit: int) -> list[DailyStatsRow]:
        """Rows changed since last published, locked against other instances."""
    def publish(self, snapshot: StatsSnapshot) -> None:
        """Unmark the snapshot's rows (at the revisions it carries); its event goes out."""


class TrackingUnitOfWork(UnitOfWork, Protocol):
    """What tracking' use cases see of their unit of work."""

    references: References
    clicks: Clicks
    click_batches: ClickBatches
    conversions: Conversions
    stats: Stats
