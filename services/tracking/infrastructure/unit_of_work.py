"""The tracking unit of work over SQL: its repositories, named (see application/ports.py).

The replicas' cache lives as long as the service's database (one per database, shared
by every worker of the process)."""
from __future__ import annotations

import weakref

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.tracking.infrastructure.replica_cache import ReplicaCache
from services.tracking.infrastructure.repositories import (
    SqlClickBatches,
    SqlClicks,
    SqlConversions,
    SqlReferences,
    SqlStats,
)

_CACHES: "weakref.WeakKeyDictionary[Database, ReplicaCache]" = weakref.WeakKeyDictionary()


def replica_cache(database: Database) -> ReplicaCache:
    cache = _CACHES.get(database)
    if cache is None:
        cache = _CACHES[database] = ReplicaCache()
    return cache


class SqlTrackingUnitOfWork(SqlAlchemyUnitOfWork):
    references: SqlReferences
    clicks: SqlClicks
    click_batches: SqlClickBatches
    conversions: SqlConversions
    stats: SqlStats

    def _bind(self, connection: Connection) -> None:
        self.references = SqlReferences(connection, replica_cache(self.database))
        self.clicks = SqlClicks(connection)
        self.click_batches = SqlClickBatches(connection)
        self.conversions = SqlConversions(connection)
        self.stats = SqlStats(connection)
