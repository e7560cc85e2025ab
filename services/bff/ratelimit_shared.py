"""Rate limits shared by every BFF instance: counters in Redis, through ``limits``.

``RateLimiter`` (ratelimit.py) keeps its buckets in the process, so two BFFs behind a load
balancer each allow the full rate. ``SharedRateLimiter`` has the same ``hit(policy, key,
limit)`` but counts in a storage all instances reach -- ``redis://host:port/db`` in
production (``BFF.rate_limit_storage``), ``memory://`` (``limits``' own in-memory storage,
the same code path) in unit tests.

**Strategy: sliding window counter.** ``limits`` offers three. A fixed window lets twice
the rate through around each window boundary (a burst at the end of one, another at the
start of the next). A moving window is exact but stores one entry per allowed request: the
postback policy (6000 a minute per brand) would keep 6000-entry lists in Redis and walk
them in a Lua script on every hit. The sliding window counter keeps two integers per key
(this window's and the last one's count, the latter weighted by how much of it still
overlaps the last ``per_seconds``), costs one short Lua script per request, and errs
only by assuming the last window's requests were spread evenly: close enough for abuse
protection. ``per_seconds`` is rounded up to whole seconds (``limits`` counts in them).

**Redis down: fail open.** A rate limiter protects the API; it must never be the reason
the API is down. When the storage does not answer (connection refused, timeout, any
error) the request is allowed, a WARNING is logged at most once per ``warn_every_seconds``
(not once per request: a flood of identical lines would bury everything else), and for
``pause_seconds`` the storage is not asked at all, so a Redis that swallows packets costs
one timeout per pause, not one per request. Afterwards the next request asks again;
redis-py reconnects by itself, and an INFO line says the limits are shared again.

redis-py does blocking socket I/O, which eventlet's monkey-patching (``nameko run``)
turns green: a request waiting on Redis yields to the others. Its defaults suit a
throttle badly -- no socket timeout at all and three retries with exponential backoff --
so the client gets short timeouts and no retry (see ``redis_options``).
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from services.bff.ratelimit import Limit
from services.bff.settings import SHARED_SCHEMES

log = logging.getLogger(__name__)

KEY_PREFIX = "alpes:bff"          # Redis keys: alpes:bff:{rate/<policy>/<key>/<n>/<s>/second}
TIMEOUT_SECONDS = 0.5             # connect and per-command: what a dead Redis costs a request


def redis_options(timeout_seconds: float = TIMEOUT_SECONDS) -> dict:
    """redis-py client options: short timeouts, no retry (the request goes on either way)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": timeout_seconds, "socket_timeout": timeout_seconds,
            "retry": Retry(NoBackoff(), 0)}


def open_storage(uri: str, key_prefix: str = KEY_PREFIX,
                 timeout_seconds: float = TIMEOUT_SECONDS) -> Storage:
    """``limits``' storage for ``uri`` (``redis://...`` or ``memory://``). Connects lazily:
    a Redis that is down at start-up does not stop the BFF."""
    if urlsplit(uri).scheme in SHARED_SCHEMES:
        return storage_from_string(uri, key_prefix=key_prefix, **redis_options(timeout_seconds))
    return storage_from_string(uri)


def describe(uri: str) -> str:
    """``uri`` without its password, fit for a log line."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


class SharedRateLimiter:
    def __init__(self, storage: Storage, *, name: str = "the rate limit storage",
                 warn_every_seconds: float = 30.0, pause_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.storage = storage
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._name = name
        self._warn_every = warn_every_seconds
        self._pause = pause_seconds
        self._clock = clock
        self._items: dict[Limit, RateLimitItem] = {}
        self._paused_until = -math.inf
        self._warned_at = -math.inf
        self._failing = False

    @classmethod
    def from_uri(cls, uri: str, **kwargs) -> SharedRateLimiter:
        return cls(open_storage(uri), name=describe(uri), **kwargs)

    def hit(self, policy: str, key: str, limit: Limit) -> int | None:
        """Count one request. ``None`` when allowed (also when the storage does not
        answer), else the seconds to wait (>= 1)."""
        now = self._clock()
        if now < self._paused_until:
            return None
        item = self._item(limit)
        try:
            if self._strategy.hit(item, policy, key):
                wait = None
            else:
                reset = self._strategy.get_window_stats(item, policy, key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
        except Exception as failure:  # noqa: BLE001 -- fail open, whatever went wrong
            self._failed(failure, now)
            return None
        if self._failing:
            self._failing = False
            log.info("%s answers again: rate limits are shared again", self._name)
        return wait

    def _item(self, limit: Limit) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            seconds = max(1, math.ceil(limit.per_seconds))
            item = self._items[limit] = RateLimitItemPerSecond(limit.requests, seconds,
                                                               namespace="rate")
        return item

    def _failed(self, failure: Exception, now: float) -> None:
        self._failing = True
        self._paused_until = now + self._pause
        if now - self._warned_at >= self._warn_every:
            self._warned_at = now
            log.warning("%s does not answer (%s: %s): requests are let through without "
                        "rate limits until it does (said at most every %.0f s)", self._name,
                        type(failure).__name__, failure, self._warn_every)
