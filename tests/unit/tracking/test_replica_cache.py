"""The replicas' cache trusts an entry only under the generation it was read at."""
from services.tracking.infrastructure.replica_cache import MISSING, ReplicaCache


def test_an_entry_is_served_under_its_own_generation_only():
    cache = ReplicaCache()
    cache.put("targets", 3, "code", "target")
    assert cache.get("targets", 3, "code") == "target"
    assert cache.get("targets", 4, "code") is MISSING
    assert cache.get("targets", 2, "code") is MISSING
    assert cache.get("partner_ips", 3, "code") is MISSING  # each kind its own generation


def test_not_found_is_remembered_as_none():
    cache = ReplicaCache()
    cache.put("targets", 1, "unknown", None)
    assert cache.get("targets", 1, "unknown") is None


def test_a_newer_generation_empties_the_kind_and_an_older_one_stores_nothing():
    cache = ReplicaCache()
    cache.put("targets", 1, "a", "old a")
    cache.put("partner_ips", 1, "p", frozenset({"1.1.1.1"}))
    cache.put("targets", 2, "b", "new b")
    assert cache.get("targets", 2, "a") is MISSING
    assert cache.get("partner_ips", 1, "p") == frozenset({"1.1.1.1"})
    cache.put("targets", 1, "a", "read by a slower reader under 1")
    assert cache.get("targets", 1, "a") is MISSING and cache.get("targets", 2, "a") is MISSING
    assert len(cache) == 2


def test_beyond_capacity_the_oldest_entries_go():
    cache = ReplicaCache(capacity=2)
    for key in ("a", "b", "c"):
        cache.put("targets", 1, key, key.upper())
    assert [cache.get("targets", 1, key) for key in "abc"] == [MISSING, "B", "C"]
    cache.put("targets", 1, "b", "B again")  # replacing an entry evicts nothing
    assert cache.get("targets", 1, "c") == "C" and len(cache) == 2


def test_hits_misses_and_evictions_are_counted_per_kind():
    cache = ReplicaCache(capacity=2)
    cache.get("targets", 1, "a")                       # miss: nothing yet
    cache.put("targets", 1, "a", "A")
    cache.get("targets", 1, "a")                       # hit
    cache.get("targets", 2, "a")                       # miss: another generation
    for key in ("b", "c"):
        cache.put("targets", 1, key, key.upper())      # "c" evicts "a"
    cache.get("partner_ips", 1, "p")
    assert cache.take_counts() == {"targets": {"hit": 1, "miss": 2, "eviction": 1},
                                   "partner_ips": {"hit": 0, "miss": 1, "eviction": 0}}
    assert cache.take_counts() == {}  # each count handed out once
    assert cache.entries() == {"targets": 2}
