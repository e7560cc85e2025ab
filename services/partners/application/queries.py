from __future__ import annotations

import dataclasses

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetPartner(Query):
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListPartners(Query):
    status: str | None = None
    type: str | None = None
    country: str | None = None
    page: int = 1
    page_size: int = 20
