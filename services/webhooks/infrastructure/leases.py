"""Leasing due deliveries: which ones this runner sends next.

A delivery is due when it is PENDING, its ``next_attempt_at`` has come, nobody holds it
(no lease, or an expired one: its runner died) and its endpoint is ENABLED. A lease is
``lease_owner`` + ``lease_until``, taken in one short transaction; on PostgreSQL the
candidates are read ``FOR UPDATE SKIP LOCKED``, so several instances lease from one
table without taking the same row (on SQLite the write lock serialises them).

``per_endpoint`` bounds what one endpoint may hold of this runner's slots: endpoints
already at the bound are left out of the query, so one slow receiver with thousands of
due deliveries cannot crowd the others out.
"""
from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from common.seedwork.infrastructure.database import Database
from services.webhooks.domain.delivery import DeliveryStatus
from services.webhooks.domain.endpoint import EndpointStatus
from services.webhooks.infrastructure.tables import deliveries, endpoints

CANDIDATES_PER_SLOT = 4

_d, _e = deliveries.c, endpoints.c
_DUE = (
    _d.status == DeliveryStatus.PENDING.value,
    _d.next_attempt_at <= bindparam("now"),
    or_(_d.lease_until.is_(None), _d.lease_until < bindparam("now")),
    _e.status == EndpointStatus.ENABLED.value,
)
_JOINED = deliveries.join(endpoints, _e.id == _d.endpoint_id)
_ANY_DUE = select(_d.id).select_from(_JOINED).where(*_DUE).limit(1)


@dataclasses.dataclass(frozen=True)
class Lease:
    delivery_id: str
    endpoint_id: str


class DeliveryLeases:
    def __init__(self, database: Database, owner: str):
        self.database = database
        self.owner = owner

    def any_due(self, now: datetime, exclude: Sequence[str] = ()) -> bool:
        """A look without the write lock (an idle driver writes nothing)."""
        query = _ANY_DUE.where(_d.endpoint_id.not_in(exclude)) if exclude else _ANY_DUE
        with self.database.reader() as conn:
            return conn.execute(query, {"now": now}).first() is not None

    def lease(self, now: datetime, *, limit: int, lease: timedelta, per_endpoint: int,
              in_flight: Mapping[str, int], exclude: Sequence[str] = ()) -> list[Lease]:
        """Up to ``limit`` due deliveries, oldest due first, at most ``per_endpoint`` per
        endpoint counting ``in_flight`` (what this runner holds already), none of the
        ``exclude`` endpoints."""
        if limit <= 0:
            return []
        full = {endpoint for endpoint, count in in_flight.items() if count >= per_endpoint}
        full.update(exclude)
        query = (select(_d.id, _d.endpoint_id).select_from(_JOINED).where(*_DUE)
                 .order_by(_d.next_attempt_at).limit(limit * CANDIDATES_PER_SLOT))
        if full:
            query = query.where(_d.endpoint_id.not_in(sorted(full)))
        with self.database.transaction() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=deliveries)
            counts = collections.Counter(in_flight)
            taken: list[Lease] = []
            for row in conn.execute(query, {"now": now}):
                if counts[row.endpoint_id] >= per_endpoint:
                    continue
                counts[row.endpoint_id] += 1
                taken.append(Lease(row.id, row.endpoint_id))
                if len(taken) == limit:
                    break
            if taken:
                conn.execute(update(deliveries)
                             .where(_d.id.in_([lease.delivery_id for lease in taken]))
                             .values(lease_owner=self.owner, lease_until=now + lease))
        return taken

    def release(self, delivery_ids: list[str]) -> None:
        """Give back leases of deliveries this runner will not send after all."""
        with self.database.transaction() as conn:
            conn.execute(update(deliveries)
                         .where(_d.id.in_(delivery_ids), _d.lease_owner == self.owner)
                         .values(lease_owner=None, lease_until=None))
