"""The shared rate limiter on a real Redis (127.0.0.1:6379, `NEED_REDIS=1
scripts/ensure_infra.sh`): two limiters -- two BFF instances -- spend one budget; a Redis
that dies is failed open and, back again, shares limits again by itself; a silent Redis
costs a request one short timeout, during which other green threads run."""
import shutil
import socket
import subprocess
import time
import uuid

import eventlet
import pytest
import redis

from services.bff.ratelimit import Limit
from services.bff.ratelimit_shared import SharedRateLimiter, open_storage

REDIS = "redis://127.0.0.1:6379/15"  # the tests' db; each test its own key prefix


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def prefix():
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("no Redis at 127.0.0.1:6379: run NEED_REDIS=1 scripts/ensure_infra.sh")
    name = f"alpes:test:{uuid.uuid4().hex[:12]}"
    yield name
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def instance(prefix: str, **kwargs) -> SharedRateLimiter:
    """What one BFF builds: its own client and connection pool."""
    return SharedRateLimiter(open_storage(REDIS, key_prefix=prefix), **kwargs)


def test_two_instances_share_one_budget(prefix):
    a, b = instance(prefix), instance(prefix)
    limit = Limit(5, 60)
    assert [a.hit("public", "198.51.100.9", limit) for _ in range(3)] == [None] * 3
    assert [b.hit("public", "198.51.100.9", limit) for _ in range(2)] == [None] * 2
    refused = [a.hit("public", "198.51.100.9", limit), b.hit("public", "198.51.100.9", limit)]
    assert all(isinstance(wait, int) and 1 <= wait <= 60 for wait in refused), refused
    assert a.hit("public", "198.51.100.10", limit) is None  # another client: its own budget
    keys = redis.Redis.from_url(REDIS).keys(f"{prefix}:*")
    assert keys and all(b"/public/198.51.100." in key for key in keys)


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_a_redis_that_dies_is_failed_open_and_shared_again_once_back(tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    def start():
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port, socket_connect_timeout=0.2).ping()
                return server
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    server = start()
    try:
        a = SharedRateLimiter.from_uri(url, pause_seconds=0)
        b = SharedRateLimiter.from_uri(url, pause_seconds=0)
        limit = Limit(2, 60)
        assert [a.hit("p", "k", limit), b.hit("p", "k", limit)] == [None, None]
        assert a.hit("p", "k", limit) is not None
        server.terminate()
        server.wait(10)
        assert [a.hit("p", "k", limit) for _ in range(5)] == [None] * 5  # fail open
        server = start()  # empty: it kept nothing
        assert [a.hit("p", "k", limit), b.hit("p", "k", limit)] == [None, None]
        assert b.hit("p", "k", limit) is not None and a.hit("p", "k", limit) is not None
    finally:
        server.terminate()
        server.wait(10)


def test_a_silent_redis_costs_a_request_one_short_timeout_and_blocks_no_one():
    """A server that accepts and never answers (a hung Redis): redis-py under eventlet
    waits green, 0.5 s, no retries, then the request goes on; later requests skip it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        limiter = SharedRateLimiter.from_uri(f"redis://127.0.0.1:{port}/0")
        ticks = []

        def tick():
            while True:
                ticks.append(time.monotonic())
                eventlet.sleep(0.05)

        ticker = eventlet.spawn(tick)
        try:
            started = time.monotonic()
            assert limiter.hit("public", "ip", Limit(1, 60)) is None
            took = time.monotonic() - started
            assert 0.4 <= took < 1.0, took
            assert len(ticks) >= 5  # the hub ran other green threads meanwhile
            started = time.monotonic()
            assert limiter.hit("public", "ip", Limit(1, 60)) is None  # paused: not asked
            assert time.monotonic() - started < 0.05
        finally:
            ticker.kill()
