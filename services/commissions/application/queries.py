from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetCommission(Query):
    commission_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListCommissions(Query):
    partner_id: str | None = None
    campaign_id: str | None = None
    brand_id: str | None = None
    status: str | None = None
    start: datetime | None = None  # created at or after
    end: datetime | None = None    # created before
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetBalance(Query):
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListPayable(Query):
    currency: str
    min_amount: Decimal = Decimal(0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetCampaignBudget(Query):
    campaign_id: str
