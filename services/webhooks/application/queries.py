from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.application.messages import Query


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetEndpoint(Query):
    endpoint_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListEndpoints(Query):
    owner_type: str | None = None
    owner_id: str | None = None
    status: str | None = None
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class GetDelivery(Query):
    delivery_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListDeliveries(Query):
    endpoint_id: str
    status: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    page: int = 1
    page_size: int = 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class Summary(Query):
    owner_type: str | None = None
    owner_id: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventTypes(Query):
    owner_type: str | None = None
