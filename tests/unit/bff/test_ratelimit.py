"""Token buckets: a burst up to the limit, then 429 with an honest Retry-After."""
import pytest

from services.bff.ratelimit import Limit, RateLimiter
from tests.clock import Clock


def test_a_burst_up_to_the_limit_then_a_wait():
    clock = Clock(1000.0)
    limiter = RateLimiter(clock)
    limit = Limit(3, 60)
    assert [limiter.hit("token", "a", limit) for _ in range(3)] == [None, None, None]
    assert limiter.hit("token", "a", limit) == 20  # one token per 20 s
    clock.now += 19.5
    assert limiter.hit("token", "a", limit) == 1
    clock.now += 0.5
    assert limiter.hit("token", "a", limit) is None


def test_keys_and_policies_have_their_own_buckets():
    limiter = RateLimiter(Clock(1000.0))
    limit = Limit(1, 60)
    assert limiter.hit("token", "a", limit) is None
    assert limiter.hit("token", "b", limit) is None
    assert limiter.hit("signup", "a", limit) is None
    assert limiter.hit("token", "a", limit) is not None


def test_a_bucket_never_fills_beyond_its_size():
    clock = Clock(1000.0)
    limiter = RateLimiter(clock)
    limit = Limit(2, 10)
    limiter.hit("p", "k", limit)
    clock.now += 10_000
    assert [limiter.hit("p", "k", limit) for _ in range(3)][-1] is not None


def test_memory_is_bounded_least_recently_seen_first():
    limiter = RateLimiter(Clock(1000.0), max_keys=3)
    limit = Limit(1, 60)
    for key in "abcd":
        limiter.hit("p", key, limit)
    assert len(limiter) == 3
    assert limiter.hit("p", "a", limit) is None  # "a" was evicted: a fresh bucket


def test_limits_must_make_sense():
    for requests, seconds in ((0, 60), (1, 0)):
        with pytest.raises(ValueError):
            Limit(requests, seconds)
