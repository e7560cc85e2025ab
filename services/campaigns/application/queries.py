"""Campaigns queries: questions answered by the read side (views)."""
from __future__ import annotations

import dataclasses

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class PageQuery(Query):
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetBrand(Query):
    brand_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListBrands(PageQuery):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetCampaign(Query):
    campaign_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListCampaigns(PageQuery):
    brand_id: str | None = None
    status: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetEnrollment(Query):
    enrollment_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListEnrollments(PageQuery):
    campaign_id: str | None = None
    partner_id: str | None = None
    status: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResolveReferralCode(Query):
    code: str

