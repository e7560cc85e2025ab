"""Token-bucket rate limiting, in memory: one BFF instance (``rate_limit_storage: memory``).

Each (policy, key) -- e.g. ("token", "partner:<id>") or ("signup", "<ip>") -- has a bucket
holding at most ``requests`` tokens that refills at ``requests / per_seconds`` per
second. A request takes one token; an empty bucket refuses it and says how long until
the next token (the ``Retry-After`` of the 429 answer).

Buckets live in an LRU map with a size cap, so a flood of distinct keys (spoofed IPs,
garbage tokens) cannot grow memory without bound: the least recently seen buckets go
first, and they are the ones most likely to be full again anyway. ``hit`` never yields
to another green thread, so no lock is needed under eventlet.

Several BFF instances would each allow the full rate: they share counters in Redis
instead (``ratelimit_shared.SharedRateLimiter``, the same ``Limiter`` interface).
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class Limit:
    requests: int
    per_seconds: float

    def __post_init__(self):
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")

    @property
    def refill_per_second(self) -> float:
        return self.requests / self.per_seconds


class Limiter(Protocol):
    def hit(self, policy: str, key: str, limit: Limit) -> int | None:
        """Count one request of ``key`` under ``policy``: ``None`` when allowed, else the
        seconds to wait (>= 1), the 429's ``Retry-After``."""


@dataclasses.dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def hit(self, policy: str, key: str, limit: Limit) -> int | None:
        """Take a token. ``None`` when allowed, else the seconds to wait (>= 1)."""
        now = self._clock()
        bucket = self._bucket((policy, key), limit, now)
        elapsed = max(now - bucket.updated, 0.0)
        bucket.tokens = min(float(limit.requests),
                            bucket.tokens + elapsed * limit.refill_per_second)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / limit.refill_per_second))

    def _bucket(self, name: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket(float(limit.requests), now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(name)
        return bucket

    def __len__(self) -> int:
        return len(self._buckets)
