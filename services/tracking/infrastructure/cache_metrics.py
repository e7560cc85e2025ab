"""The replica cache's metrics (``alpes_replica_cache_*``), reported from what it counted.

Refreshed by the service's ``Observability`` every ``METRICS.refresh_seconds``: the
cache counts hits, misses and evictions as plain integers on the hot path, and this adds
what it counted since the last refresh to the counters (so ``rate()`` works), and sets
the entries it holds. A miss rate that stays high, with evictions, says its capacity
(10,000 entries per kind) is below the referral codes in use.
"""
from __future__ import annotations

from common.nameko.metrics import (
    REPLICA_CACHE_ENTRIES,
    REPLICA_CACHE_EVICTIONS,
    REPLICA_CACHE_LOOKUPS,
)
from services.tracking.infrastructure.unit_of_work import replica_cache

SERVICE = "tracking"


def replica_cache_state(database) -> None:
    cache = replica_cache(database)
    for kind, counts in cache.take_counts().items():
        for what, delta in counts.items():
            if not delta:
                continue
            if what == "eviction":
                REPLICA_CACHE_EVICTIONS.labels(SERVICE, kind).inc(delta)
            else:
                REPLICA_CACHE_LOOKUPS.labels(SERVICE, kind, what).inc(delta)
    for kind, entries in cache.entries().items():
        REPLICA_CACHE_ENTRIES.labels(SERVICE, kind).set(entries)
