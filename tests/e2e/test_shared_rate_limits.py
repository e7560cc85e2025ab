"""Two BFF processes behind one client, as behind a load balancer: with
BFF_RATE_LIMIT_STORAGE=redis://... they spend one budget (the 5th request of a limit of 4
is refused, whichever instance gets it); with `memory` each has its own, so the same
client gets 8 (why several instances need Redis). The two BFFs share their read model
on PostgreSQL: a second instance on SQLite is refused at start."""
import ipaddress
import random
import socket
import uuid

import pytest
import redis
import requests

from common.seedwork.infrastructure.database import drop_database
from tests.stack_fixtures import run_tool
from tests.support import wait_for
from tools.stack import Stack

pytestmark = pytest.mark.postgres

REDIS = "redis://127.0.0.1:6379/15"  # the tests' db; only this test's keys are removed
LIMIT = 4


def two_free_ports() -> int:
    """A port whose next one is free too: the second BFF binds port + 1."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two consecutive free ports")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def client_ips():
    """Documentation addresses of this test's own: its keys are its alone."""
    ips = [str(ipaddress.IPv6Address((0x20010DB8 << 96) | random.getrandbits(64)))
           for _ in range(2)]
    yield ips
    client = redis.Redis.from_url(REDIS)
    keys = [key for ip in ips for key in client.scan_iter(match=f"alpes:bff:*/{ip}/*")]
    if keys:
        client.delete(*keys)


@pytest.fixture
def bff_on_postgres(e2e_env):
    """The e2e environment with the BFF's database on a fresh PostgreSQL one."""
    uri = f"postgresql+psycopg2://postgres@127.0.0.1:5432/e2e_rl_{uuid.uuid4().hex[:8]}_bff"
    env = {**e2e_env, "BFF_DB_URI": uri}
    run_tool(env, "migrate", "bff")
    yield env
    drop_database(uri)


@pytest.fixture
def two_bffs(bff_on_postgres, tmp_path):
    stacks = []

    def start(storage: str) -> tuple[list[str], Stack]:
        port = two_free_ports()
        env = {**bff_on_postgres, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
               "BFF_RATE_LIMIT_STORAGE": storage, "BFF_RATE_PUBLIC": str(LIMIT),
               "BFF_TRUST_FORWARDED_FOR": "true"}
        stack = Stack(["bff"], env=env, log_dir=tmp_path / storage.split(":")[0],
                      instances=2)
        stacks.append(stack)
        stack.start(timeout=60)
        for each in (port, port + 1):
            wait_for(lambda each=each: listening(each), 10, message=f"BFF on {each}")
        return [f"http://127.0.0.1:{each}" for each in (port, port + 1)], stack

    yield start
    for stack in stacks:
        stack.stop()


def get_openapi(base: str, ip: str) -> requests.Response:
    return requests.get(f"{base}/api/v1/openapi.json", headers={"X-Forwarded-For": ip},
                        timeout=10)


def test_two_bffs_on_redis_share_one_budget(two_bffs, client_ips, tmp_path):
    client_ip, other_client = client_ips
    bases, _ = two_bffs(REDIS)
    answers = [get_openapi(bases[n % 2], client_ip) for n in range(LIMIT)]  # 2 each
    assert [a.status_code for a in answers] == [200] * LIMIT
    fifth = get_openapi(bases[0], client_ip)
    assert fifth.status_code == 429, fifth.text
    assert fifth.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(fifth.headers["Retry-After"]) <= 60
    assert get_openapi(bases[1], client_ip).status_code == 429  # the other one too
    assert get_openapi(bases[1], other_client).status_code == 200  # its own budget
    for log in ("bff.log", "bff-2.log"):
        text = (tmp_path / "redis" / log).read_text()
        assert f"rate limits: shared by every instance in Redis at {REDIS}" in text, log


def test_two_bffs_in_memory_each_allow_the_full_rate(two_bffs, client_ips, tmp_path):
    client_ip = client_ips[0]
    bases, _ = two_bffs("memory")
    answers = [get_openapi(bases[n % 2], client_ip) for n in range(2 * LIMIT)]
    assert [a.status_code for a in answers] == [200] * (2 * LIMIT)  # twice the limit
    assert get_openapi(bases[0], client_ip).status_code == 429
    assert get_openapi(bases[1], client_ip).status_code == 429
    for log in ("bff.log", "bff-2.log"):
        assert "rate limits: in memory, this instance only" in (
            tmp_path / "memory" / log).read_text()
