from __future__ import annotations

import dataclasses
from datetime import date

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerDashboard(Query):
    partner_id: str
    first_day: date
    last_day: date
    enrollments: int = 50   # at most this many links, the newest first


@dataclasses.dataclass(frozen=True, kw_only=True)
class BrandDashboard(Query):
    brand_id: str
    first_day: date
    last_day: date
    campaigns: int = 50     # at most this many campaigns, the newest first
    top_partners: int = 10  # the window's most converting partners


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerPerformance(Query):
    """A brand's partners over ``first_day``..``last_day`` (both included), optionally in
    one campaign: a row per partner and currency, ranked; ``page_size`` None: every row."""

    brand_id: str
    first_day: date
    last_day: date
    campaign_id: str | None = None
    page: int = 1
    page_size: int | None = 50


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerNames(Query):
    """The names of these partners, as their latest events said (activated ones)."""

    partner_ids: tuple[str, ...]
