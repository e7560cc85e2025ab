"""What the read model's event handlers ask of it: keep a row (or a batch of rows)."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from common.seedwork.application.messages import Command
from services.bff.application.projection import LedgerRow, StatsRow


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepProfile(Command):
    """A partner event's snapshot (``suspension_reason``: only a suspension says it)."""

    profile: dict[str, Any]   # partner_profiles' columns
    revision: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepBrand(Command):
    brand_id: str
    brand: dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepCampaign(Command):
    campaign_id: str
    brand_id: str
    campaign: dict[str, Any]  # as the dashboard shows it
    revision: int
    occurred_at: datetime
    created: bool = False     # campaign_created: occurred_at is when it was created


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepEnrollment(Command):
    enrollment_id: str
    partner_id: str
    enrolled_at: datetime
    enrollment: dict[str, Any]  # as the dashboard shows it
    revision: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepEnrollmentState(Command):
    """An enrollment's or application's status (``enrollment_requested``/``_declined``;
    the enrollment events keep it too)."""

    enrollment_id: str
    brand_id: str
    campaign_id: str
    status: str
    revision: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepStats(Command):
    """A ``stats_changed`` batch."""

    rows: tuple[StatsRow, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeepBalances(Command):
    """A ``balances_changed`` batch: ledgers, and budgets (``budgets`` table columns)."""

    ledgers: tuple[LedgerRow, ...]
    budgets: tuple[dict[str, Any], ...]
