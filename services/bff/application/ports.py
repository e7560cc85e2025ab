"""What the read model's use cases need from storage (implemented in infrastructure,
faked in the unit tests). "Keep" is newest-revision-wins: an older row changes nothing."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from services.bff.application.projection import (
    CampaignDay,
    Counts,
    EarningsDay,
    LedgerKey,
    LedgerRow,
    StatsKey,
    StatsRow,
)


class Profiles(Protocol):
    def keep(self, profile: Mapping[str, Any], revision: int) -> None:
        """A suspension's reason is kept while the partner stays SUSPENDED."""


class Brands(Protocol):
    def keep(self, brand_id: str, brand: Mapping[str, Any]) -> None: ...


class Campaigns(Protocol):
    def keep(self, campaign_id: str, brand_id: str, campaign: Mapping[str, Any],
             revision: int, occurred_at: datetime, created: bool) -> None:
        """``created``: ``occurred_at`` is the campaign's creation (it orders the list)."""


class Enrollments(Protocol):
    def keep(self, enrollment_id: str, partner_id: str, enrolled_at: datetime,
             enrollment: Mapping[str, Any], revision: int) -> None: ...


class EnrollmentStates(Protocol):
    def keep(self, enrollment_id: str, brand_id: str, campaign_id: str, status: str,
             revision: int) -> None: ...


class Stats(Protocol):
    def held(self, rows: Iterable[StatsRow]) -> dict[StatsKey, StatsRow]:
        """The rows held for these rows' keys (revision 0: none yet), locked until the
        transaction ends."""
    def store(self, rows: Iterable[StatsRow]) -> None: ...
    def add_to_campaigns(self, changes: Mapping[CampaignDay, Counts]) -> None: ...


class Balances(Protocol):
    def held(self, rows: Iterable[LedgerRow]) -> dict[LedgerKey, LedgerRow]:
        """The ledgers held for these rows' keys (revision 0: none yet), locked until the
        transaction ends."""
    def store(self, rows: Iterable[LedgerRow]) -> None: ...
    def add_earnings(self, earnings: Mapping[EarningsDay, Decimal]) -> None: ...
    def keep_budgets(self, budgets: Iterable[Mapping[str, Any]]) -> None: ...


class ReadModelUnitOfWork(UnitOfWork, Protocol):
    profiles: Profiles
    brands: Brands
    campaigns: Campaigns
    enrollments: Enrollments
    enrollment_states: EnrollmentStates
    stats: Stats
    balances: Balances
