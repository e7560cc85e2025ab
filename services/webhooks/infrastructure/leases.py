"""Leasing due deliveries: which ones this runner sends next.

A delivery is due when it is PENDING, its ``next_attempt_at`` has come, nobody holds it
(no lease, or an expired one: its runner died) and its endpoint is ENABLED. A lease is
``lease_owner`` + ``lease_until``, taken in one short transaction; on PostgreSQL the
candidates are read ``FOR UPDATE SKIP LOCKED``, so several instances lease from one
table without taking the same row (on SQLite the write lock serialises them).

``per_endpoint`` bounds the attempts one endpoint gets at once over every runner:
however many instances send, a receiver never has more than that many at once, and one
slow receiver with thousands of due deliveries cannot crowd the others out. A runner
sends at most ``per_endpoint`` of an endpoint at once, and leases so that

* an endpoint whose live leases are all its own may hold up to ``ahead`` of them (the
  next attempts in hand: a finished one's slot goes to the next without a lease), and
* an endpoint another runner holds leases of has at most ``per_endpoint`` live leases
  in all.

So either one runner holds the endpoint's leases (and sends at most ``per_endpoint``),
or all runners together hold at most ``per_endpoint``. The count and the lease are one
decision: on PostgreSQL lease transactions take one advisory lock, so two instances
never both see room for the same slot (SQLite's ``BEGIN IMMEDIATE`` serialises them
already). A live lease is one not yet run out: a dead runner's slots free up when its
leases do.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select, text, update

from common.seedwork.infrastructure.database import Database
from services.webhooks.domain.delivery import DeliveryStatus
from services.webhooks.domain.endpoint import EndpointStatus
from services.webhooks.infrastructure.tables import deliveries, endpoints

CANDIDATES_PER_SLOT = 4
# PostgreSQL: one lease decision at a time, over every instance (held to the commit)
_LEASING_LOCK = text("SELECT pg_advisory_xact_lock(1590952133)")

_d, _e = deliveries.c, endpoints.c
_DUE = (
    _d.status == DeliveryStatus.PENDING.value,
    _d.next_attempt_at <= bindparam("now"),
    or_(_d.lease_until.is_(None), _d.lease_until < bindparam("now")),
    _e.status == EndpointStatus.ENABLED.value,
)
_JOINED = deliveries.join(endpoints, _e.id == _d.endpoint_id)
_ANY_DUE = select(_d.id).select_from(_JOINED).where(*_DUE).limit(1)
# what every runner holds now, per endpoint, and of it this runner's (ix_deliveries_leased)
_LIVE_LEASES = (select(_d.endpoint_id, func.count().label("leased"),
                       func.sum(case((_d.lease_owner == bindparam("owner"), 1), else_=0))
                       .label("mine"))
                .where(_d.lease_until.is_not(None), _d.lease_until >= bindparam("now"),
                       _d.status == DeliveryStatus.PENDING.value)
                .group_by(_d.endpoint_id))


@dataclasses.dataclass(frozen=True)
class Lease:
    delivery_id: str
    endpoint_id: str


class DeliveryLeases:
    def __init__(self, database: Database, owner: str):
        self.database = database
        self.owner = owner

    def any_due(self, now: datetime, *, per_endpoint: int, ahead: int,
                exclude: Sequence[str] = ()) -> bool:
        """A look without the write lock (an idle driver writes nothing): is anything due
        at an endpoint with room, leaving out the ``exclude`` ones?"""
        with self.database.reader() as conn:
            held = self._held(conn, now, per_endpoint, ahead)
            left_out = set(exclude) | held.full()
            query = (_ANY_DUE.where(_d.endpoint_id.not_in(sorted(left_out))) if left_out
                     else _ANY_DUE)
            return conn.execute(query, {"now": now}).first() is not None

    def lease(self, now: datetime, *, limit: int, lease: timedelta, per_endpoint: int,
              ahead: int, exclude: Sequence[str] = ()) -> list[Lease]:
        """Up to ``limit`` due deliveries, oldest due first, within each endpoint's room
        (the module's rule), none of the ``exclude`` endpoints."""
        if limit <= 0:
            return []
        query = (select(_d.id, _d.endpoint_id).select_from(_JOINED).where(*_DUE)
                 .order_by(_d.next_attempt_at).limit(limit * CANDIDATES_PER_SLOT))
        with self.database.transaction() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(_LEASING_LOCK)
                query = query.with_for_update(skip_locked=True, of=deliveries)
            held = self._held(conn, now, per_endpoint, ahead)
            left_out = set(exclude) | held.full()
            if left_out:
                query = query.where(_d.endpoint_id.not_in(sorted(left_out)))
            taken: list[Lease] = []
            for row in conn.execute(query, {"now": now}):
                if not held.take(row.endpoint_id):
                    continue
                taken.append(Lease(row.id, row.endpoint_id))
                if len(taken) == limit:
                    break
            if taken:
                conn.execute(update(deliveries)
                             .where(_d.id.in_([lease.delivery_id for lease in taken]))
                             .values(lease_owner=self.owner, lease_until=now + lease))
        return taken

    def _held(self, conn, now: datetime, per_endpoint: int, ahead: int) -> "Held":
        rows = conn.execute(_LIVE_LEASES, {"now": now, "owner": self.owner})
        return Held({row.endpoint_id: (row.leased, row.mine) for row in rows},
                    per_endpoint, ahead)

    def release(self, delivery_ids: list[str]) -> None:
        """Give back leases of deliveries this runner will not send after all."""
        with self.database.transaction() as conn:
            conn.execute(update(deliveries)
                         .where(_d.id.in_(delivery_ids), _d.lease_owner == self.owner)
                         .values(lease_owner=None, lease_until=None))



class Held:
    """Live leases per endpoint, (all runners', this runner's), and the room they leave."""

    def __init__(self, leases: dict[str, tuple[int, int]], per_endpoint: int, ahead: int):
        self.leases = leases
        self.per_endpoint = per_endpoint
        self.ahead = ahead

    def room(self, endpoint: str) -> int:
        leased, mine = self.leases.get(endpoint, (0, 0))
        bound = self.ahead if leased == mine else self.per_endpoint
        return bound - leased

    def full(self) -> set[str]:
        return {endpoint for endpoint in self.leases if self.room(endpoint) <= 0}

    def take(self, endpoint: str) -> bool:
        if self.room(endpoint) <= 0:
            return False
        leased, mine = self.leases.get(endpoint, (0, 0))
        self.leases[endpoint] = (leased + 1, mine + 1)
        return True
