from __future__ import annotations

import dataclasses
from datetime import date, datetime

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetConversion(Query):
    conversion_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListConversions(Query):
    partner_id: str | None = None
    campaign_id: str | None = None
    brand_id: str | None = None
    status: str | None = None
    start: datetime | None = None   # occurred_at >= start
    end: datetime | None = None     # occurred_at < end
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignStats(Query):
    campaign_id: str
    first_day: date
    last_day: date


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerStats(Query):
    partner_id: str
    first_day: date
    last_day: date


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResolveReferralCodes(Query):
    codes: tuple[str, ...]
