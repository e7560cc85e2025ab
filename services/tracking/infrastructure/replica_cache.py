"""What tracking's replicas said, kept in the process while they have not changed since.

Every conversion and click batch looks up its referral targets (an enrollment with its
campaign, partner and terms) and the partner's own IPs. Those replicas change rarely (a
campaign, enrollment or partner event; a partner seen at a new IP), so reading them on
every call is wasted work.

Each kind of replica has a *generation*: a counter in the database
(``replica_generations``) that every write to that replica raises, in the write's own
transaction. A transaction reads the generations once (one small statement) and trusts
an entry of this cache only when it was read under the same generation. That holds
across processes (a second instance on PostgreSQL raises the same counter) and never
serves a value older than the transaction's own view:

* an entry is filled with data read *after* its generation was read, so it is at least
  as new as that generation;
* an entry is stored only under the generation its reader saw, and only while the cache
  holds that generation (a slower reader that saw an older one stores nothing);
* a transaction that writes a replica stops using the cache (its reads may see its own
  uncommitted writes, which must never be shared).

Entries are dropped oldest first beyond ``capacity`` per kind. Cached values are frozen
value objects (or frozensets), shared by every reader. The cache counts its hits, misses
and evictions per kind (``take_counts()``): the service's metrics report them
(``alpes_replica_cache_*``, infrastructure/cache_metrics.py), so an operator sees when
``capacity`` is too small for the live referral codes.
"""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

MISSING = object()  # not cached (``None`` is a cached "not found")
CAPACITY = 10_000


class _Shelf:
    __slots__ = ("generation", "entries")

    def __init__(self, generation: int):
        self.generation = generation
        self.entries: dict[Hashable, Any] = {}


class ReplicaCache:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._shelves: dict[str, _Shelf] = {}
        self._counts: dict[str, dict[str, int]] = {}

    def get(self, kind: str, generation: int, key: Hashable) -> Any:
        shelf = self._shelves.get(kind)
        found = MISSING
        if shelf is not None and shelf.generation == generation:
            found = shelf.entries.get(key, MISSING)
        self._count(kind, "miss" if found is MISSING else "hit")
        return found

    def put(self, kind: str, generation: int, key: Hashable, value: Any) -> None:
        shelf = self._shelves.get(kind)
        if shelf is None or shelf.generation < generation:
            shelf = self._shelves[kind] = _Shelf(generation)
        elif shelf.generation > generation:
            return  # read under an older generation: a newer one is being cached
        if key not in shelf.entries and len(shelf.entries) >= self.capacity:
            del shelf.entries[next(iter(shelf.entries))]
            self._count(kind, "eviction")
        shelf.entries[key] = value

    def __len__(self) -> int:
        return sum(len(shelf.entries) for shelf in self._shelves.values())

    # what it did -------------------------------------------------------------------------
    def take_counts(self) -> dict[str, dict[str, int]]:
        """Per kind: ``hit``, ``miss`` and ``eviction`` since the last take (each is
        handed out once)."""
        taken, self._counts = self._counts, {}
        return taken

    def entries(self) -> dict[str, int]:
        """Per kind: the entries held now."""
        return {kind: len(shelf.entries) for kind, shelf in self._shelves.items()}

    def _count(self, kind: str, what: str) -> None:
        counts = self._counts.get(kind)
        if counts is None:
            counts = self._counts[kind] = {"hit": 0, "miss": 0, "eviction": 0}
        counts[what] += 1
