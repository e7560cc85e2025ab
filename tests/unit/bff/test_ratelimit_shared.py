"""The shared rate limiter (services/bff/ratelimit_shared.py) on ``limits``' in-memory
storage -- the code path it takes on Redis -- and its fail-open when the storage fails."""
import logging
import socket

import pytest
from limits.storage import MemoryStorage

from services.bff.dependencies import limiter_for
from services.bff.ratelimit import Limit, RateLimiter
from services.bff.ratelimit_shared import SharedRateLimiter, describe, open_storage
from tests.clock import Clock

LOGGER = "services.bff.ratelimit_shared"
HOUR = 3600  # windows far longer than a test: none rolls over while one runs


def shared(**kwargs) -> SharedRateLimiter:
    return SharedRateLimiter.from_uri("memory://", **kwargs)


def test_n_allowed_then_refused_with_a_retry_after_of_at_least_a_second():
    limiter, limit = shared(), Limit(3, HOUR)
    assert [limiter.hit("public", "203.0.113.7", limit) for _ in range(3)] == [None] * 3
    wait = limiter.hit("public", "203.0.113.7", limit)
    assert isinstance(wait, int) and 1 <= wait <= HOUR
    assert limiter.hit("public", "203.0.113.7", limit) is not None  # still refused


def test_keys_are_counted_apart_per_policy_and_per_key():
    limiter, limit = shared(), Limit(1, HOUR)
    assert limiter.hit("token", "partner:a", limit) is None
    assert limiter.hit("token", "partner:b", limit) is None     # another key
    assert limiter.hit("postback", "partner:a", limit) is None  # another policy
    assert limiter.hit("token", "partner:a", limit) is not None


def test_each_policy_has_its_own_limit():
    limiter = shared()
    signup, public = Limit(1, HOUR), Limit(5, 60)
    assert limiter.hit("signup", "ip", signup) is None
    assert limiter.hit("signup", "ip", signup) is not None
    assert [limiter.hit("public", "ip", public) for _ in range(5)] == [None] * 5
    assert limiter.hit("public", "ip", public) is not None


def test_a_fractional_window_counts_in_whole_seconds():
    limiter = shared()
    assert limiter.hit("p", "k", Limit(1, 0.5)) is None
    assert limiter.hit("p", "k", Limit(1, 0.5)) == 1


class BrokenStorage(MemoryStorage):
    """``limits``' memory storage whose first ``failures`` calls fail as a dead Redis."""

    def __init__(self, failures: int = 10**9):
        super().__init__()
        self.failures = failures
        self.calls = 0

    def _answer(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def acquire_sliding_window_entry(self, key, limit, expiry, amount=1):
        self._answer()
        return super().acquire_sliding_window_entry(key, limit, expiry, amount)

    def get_sliding_window(self, key, expiry):
        self._answer()
        return super().get_sliding_window(key, expiry)


def warnings_in(caplog):
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_a_failing_storage_lets_requests_through_and_warns_once_not_per_request(caplog):
    clock, storage = Clock(1000.0), BrokenStorage()
    limiter = SharedRateLimiter(storage, name="Redis at redis://127.0.0.1:6379/0",
                                pause_seconds=0, clock=clock)
    caplog.set_level(logging.INFO, LOGGER)
    for _ in range(50):
        assert limiter.hit("public", "ip", Limit(1, 60)) is None  # fail open, no raise
        clock.now += 0.5
    assert storage.calls == 50  # each request asked (no pause here)
    [warning] = warnings_in(caplog)
    assert "redis://127.0.0.1:6379/0 does not answer" in warning.getMessage()
    assert "ConnectionError" in warning.getMessage()
    clock.now += 30  # ~30 s later, still down: said again, once
    limiter.hit("public", "ip", Limit(1, 60))
    limiter.hit("public", "ip", Limit(1, 60))
    assert len(warnings_in(caplog)) == 2


def test_after_a_failure_the_storage_rests_then_is_asked_again_and_recovers(caplog):
    clock, storage = Clock(1000.0), BrokenStorage(failures=1)
    limiter = SharedRateLimiter(storage, pause_seconds=1.0, clock=clock)
    caplog.set_level(logging.INFO, LOGGER)
    assert limiter.hit("p", "k", Limit(5, 60)) is None  # fails: allowed
    for _ in range(20):
        assert limiter.hit("p", "k", Limit(5, 60)) is None
    assert storage.calls == 1  # a dead Redis costs one timeout per pause, not per request
    clock.now += 1.0
    assert limiter.hit("p", "k", Limit(5, 60)) is None  # asked again: it answers
    assert storage.calls == 2
    assert any("answers again" in r.getMessage() for r in caplog.records
               if r.name == LOGGER and r.levelno == logging.INFO)


def test_a_redis_url_on_a_closed_port_fails_open_fast(caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = Clock(1000.0)
    limiter = SharedRateLimiter.from_uri(f"redis://127.0.0.1:{port}/0", pause_seconds=0,
                                         clock=clock)
    caplog.set_level(logging.WARNING, LOGGER)
    assert [limiter.hit("public", "ip", Limit(1, 60)) for _ in range(5)] == [None] * 5
    [warning] = warnings_in(caplog)
    assert f"127.0.0.1:{port}" in warning.getMessage()


def test_redis_clients_get_short_timeouts_and_no_retries_and_a_namespace():
    storage = open_storage("redis://127.0.0.1:6379/3")
    kwargs = storage.storage.connection_pool.connection_kwargs
    assert kwargs["socket_connect_timeout"] == kwargs["socket_timeout"] == 0.5
    assert kwargs["retry"].get_retries() == 0
    assert storage.prefixed_key("x") == "alpes:bff:x"


def test_the_log_never_shows_a_redis_password():
    assert describe("redis://:s3cret@cache:6380/2") == "redis://:***@cache:6380/2"
    assert describe("redis://app:s3cret@cache/0") == "redis://app:***@cache/0"
    assert describe("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_the_setting_picks_the_limiter_and_the_start_up_log_says_which(caplog):
    caplog.set_level(logging.INFO, "services.bff.dependencies")
    assert isinstance(limiter_for("memory"), RateLimiter)
    assert "rate limits: in memory, this instance only" in caplog.text
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = limiter_for(f"redis://:pw@127.0.0.1:{port}/1")
    assert isinstance(limiter, SharedRateLimiter)
    assert f"shared by every instance in Redis at redis://:***@127.0.0.1:{port}/1" in (
        caplog.text)
    assert "does not answer yet" in caplog.text  # nothing there: it starts anyway
    assert ":pw@" not in caplog.text


@pytest.mark.parametrize("make", [RateLimiter, shared], ids=["memory", "shared"])
def test_both_limiters_answer_the_same_way(make):
    """The pipeline sees one interface: None, then the seconds to wait."""
    limiter, limit = make(), Limit(2, HOUR)
    assert [limiter.hit("signup", "ip-x", limit) for _ in range(2)] == [None, None]
    assert limiter.hit("signup", "ip-x", limit) >= 1
