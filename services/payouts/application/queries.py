from __future__ import annotations

import dataclasses

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetPayout(Query):
    payout_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListPayouts(Query):
    partner_id: str | None = None
    status: str | None = None
    cycle: str | None = None
    page: int = 1
    page_size: int = 20
