"""The platform on the test cluster: what a conversion chain needs (partners, campaigns,
tracking, commissions), each a `nameko run` process whose ``AMQP_URI`` lists the three
nodes, on its own vhost of the cluster and fresh SQLite files; a steady stream of
conversions from RPC clients that fail over and send a failed order again.

The world-building helpers (brands, campaigns, partners, commissions...) are the
reliability layer's (tests/reliability/platform.py); what differs is where the broker is.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys
import time
import uuid

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from tests.cluster.rabbit_cluster import RabbitCluster
from tests.reliability.platform import Campaign, Partner, Platform
from tests.support import wait_for
from tools.stack import Stack

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAIN = ("partners", "campaigns", "tracking", "commissions")


class ClusterPlatform(Platform):
    def __init__(self, cluster: RabbitCluster, queue_type: str, services=CHAIN,
                 extra_env: dict | None = None):
        super().__init__(services, extra_env)
        self.cluster = cluster
        self.queue_type = queue_type
        self.vhost = f"cl-{queue_type}-{uuid.uuid4().hex[:6]}"
        self.env.update({
            # n1 first: every connection, and so every queue's leader or home, starts there
            "AMQP_URI": cluster.amqp_uri(self.vhost),
            "ALPES_QUEUE_TYPE": queue_type,
            "ALPES_DELIVERY_LIMIT": "20",
            "AMQP_HEARTBEAT": "10",
            "RPC_TIMEOUT_SECONDS": "5",
            "EVENT_RETRY_MAX_ATTEMPTS": "6",
            **(extra_env or {}),
        })

    def start(self) -> "ClusterPlatform":
        self.cluster.add_vhost(self.vhost)
        alpes = str(pathlib.Path(sys.executable).with_name("alpes"))
        for command in (["migrate", *self.services], ["topology", *self.services]):
            subprocess.run([alpes, "--config", "config.yaml", *command], cwd=ROOT,
                           env={**os.environ, **self.env}, check=True, capture_output=True,
                           timeout=180)
        self.stack = Stack(self.services, env=self.env, log_dir=self.workdir / "logs")
        self.stack.start(timeout=180)
        return self

    def stop(self) -> None:
        """Stop the services, keep their logs under var/cluster-logs/<vhost>/ (git-ignored;
        the last few runs), drop the vhost and the files."""
        self.close_probes()
        if self.stack:
            self.stack.stop()
        try:
            self.cluster.delete_vhost(self.vhost)
        except Exception:  # the cluster goes anyway
            pass
        kept = ROOT / "var" / "cluster-logs"
        if (self.workdir / "logs").is_dir():
            kept.mkdir(parents=True, exist_ok=True)
            shutil.copytree(self.workdir / "logs", kept / self.vhost, dirs_exist_ok=True)
            for old in sorted(kept.iterdir(), key=lambda path: path.stat().st_mtime)[:-6]:
                shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def broker_view(self) -> str:
        """The platform's queues as the broker sees them: messages ready / unacked and
        consumers, for a failure's report."""
        lines = []
        for queue in sorted(self.cluster.queues(self.vhost), key=lambda q: q["name"]):
            lines.append(f"  {queue['name']}: {queue.get('type')} on "
                         f"{queue.get('leader') or queue.get('node')}, ready "
                         f"{queue.get('messages_ready')}, unacked "
                         f"{queue.get('messages_unacknowledged')}, consumers "
                         f"{queue.get('consumers')}")
        return "\n".join(lines)

    def pids(self) -> dict[str, int]:
        return {name: process.process.pid for name, process in self.stack.processes.items()}

    def enroll(self, partner: Partner, campaign: Campaign) -> str:
        """Enroll once campaigns knows the partner is active, then wait until tracking
        knows the code (a click on it is recorded): no BFF here."""
        def attempt():
            with self.rpc() as rpc:
                try:
                    return rpc.campaigns.enroll_partner(campaign.campaign_id,
                                                        partner.partner_id)["referral_code"]
                except Exception:
                    return None

        code = wait_for(attempt, timeout=60, interval=0.3, message="the enrollment")

        def tracking_knows():
            try:
                self.click(code, ip="198.51.100.250")
                return True
            except Exception:
                return False

        wait_for(tracking_knows, timeout=60, interval=0.3, message="tracking to learn the code")
        return code

    def queue_types(self) -> dict[str, str]:
        return {queue["name"]: queue.get("type") for queue in self.cluster.queues(self.vhost)}

    def platform_queues(self) -> list[str]:
        """The queues the switch governs: handler, retry, dead-letter and RPC queues."""
        return [name for name in self.queue_types()
                if name.startswith(("evt-", "dlq.", "rpc-"))]

    def queued(self) -> dict[str, int]:
        return {queue["name"]: queue.get("messages", 0) for queue in self.cluster.queues(self.vhost)
                if queue.get("messages") and queue["name"].startswith(("evt-", "rpc-"))}


@dataclasses.dataclass
class Traffic:
    """What a steady stream of orders got: per order, its conversion; per second, how
    many orders were accepted and how many calls failed."""

    sent: int = 0
    accepted: dict[str, dict] = dataclasses.field(default_factory=dict)  # order id -> answer
    given_up: list[str] = dataclasses.field(default_factory=list)
    errors: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    samples: dict[str, str] = dataclasses.field(default_factory=dict)  # an error of each type
    failed_calls_by_second: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)
    accepted_by_second: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)
    began: float = dataclasses.field(default_factory=time.monotonic)
    last_accepted: float = dataclasses.field(default_factory=time.monotonic)
    aborted: str | None = None  # why the clients stopped before the end

    @property
    def attributed(self) -> dict[str, str]:
        """order id -> conversion id, of the orders credited to a partner."""
        return {order: answer["conversion_id"] for order, answer in self.accepted.items()
                if answer["status"] == "ATTRIBUTED"}

    def longest_gap(self) -> int:
        """The longest run of seconds (after the first acceptance) without one."""
        if not self.accepted_by_second:
            return 0
        last = max(self.accepted_by_second)
        gap = longest = 0
        for second in range(min(self.accepted_by_second), last + 1):
            gap = 0 if self.accepted_by_second[second] else gap + 1
            longest = max(longest, gap)
        return longest

    def summary(self) -> str:
        return (f"sent {self.sent}, accepted {len(self.accepted)}, attributed "
                f"{len(self.attributed)}, given up {len(self.given_up)}, failed calls "
                f"{sum(self.errors.values())} {dict(self.errors)}, longest gap without an "
                f"accepted order {self.longest_gap()} s"
                + (f"; ABORTED: {self.aborted}" if self.aborted else "")
                + "".join(f"\n  e.g. {kind}: {text}" for kind, text in self.samples.items()))


class Caller:
    """One client's RPC proxy, opened again after any failure (its broker may be gone:
    the new one connects to the next node of the list)."""

    def __init__(self, config: dict, timeout: float):
        self.config = config
        self.timeout = timeout
        self._proxy = None
        self._client = None

    def record_conversion(self, payload: dict) -> dict:
        if self._client is None:
            self._proxy = ClusterRpcProxy(self.config, timeout=self.timeout)
            self._client = self._proxy.start()
        try:
            return self._client.tracking.record_conversion(payload)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        proxy, self._proxy, self._client = self._proxy, None, None
        if proxy is not None:
            try:
                proxy.stop()
            except Exception:
                pass


def steady_conversions(platform: ClusterPlatform, campaign: Campaign, code: str,
                       traffic: Traffic, *, total: int, rate: float, clients: int = 16,
                       patience: float = 120.0, call_timeout: float = 10.0,
                       stall: float = 180.0) -> Traffic:
    """``total`` orders credited by ``code``, order n sent ``n / rate`` seconds after the
    start (a steady rate, whatever the answers), by ``clients`` green threads; progress
    in ``traffic`` as it goes. A failed call is sent again with the same order id
    (tracking answers it idempotently) until it is accepted or ``patience`` seconds have
    passed. Bounded: the clients stop when a service process exits or when no order has
    been accepted for ``stall`` seconds (``traffic.aborted`` says which)."""
    traffic.began = traffic.last_accepted = time.monotonic()
    config = platform.config
    orders = iter(range(total))

    def second() -> int:
        return int(time.monotonic() - traffic.began)

    def client() -> None:
        caller = Caller(config, call_timeout)
        try:
            for n in orders:
                eventlet.sleep(max(0.0, traffic.began + n / rate - time.monotonic()))
                if traffic.aborted:
                    return
                traffic.sent += 1
                payload = platform._order(campaign, code, amount="100.00", currency="USD",
                                          order_id=f"cl-{n:05d}-{uuid.uuid4().hex[:6]}")
                deadline = time.monotonic() + patience
                attempt = 0
                while True:
                    try:
                        traffic.accepted[payload["order_id"]] = caller.record_conversion(payload)
                        traffic.accepted_by_second[second()] += 1
                        traffic.last_accepted = time.monotonic()
                        break
                    except Exception as error:
                        traffic.errors[type(error).__name__] += 1
                        traffic.samples.setdefault(type(error).__name__, str(error)[:160])
                        traffic.failed_calls_by_second[second()] += 1
                        if time.monotonic() > deadline or traffic.aborted:
                            traffic.given_up.append(payload["order_id"])
                            break
                        attempt += 1
                        eventlet.sleep(min(0.2 * attempt, 2.0))
        finally:
            caller.close()

    def watchdog() -> None:
        while not traffic.aborted:
            dead = [name for name in platform.services if not platform.running(name)]
            if dead:
                traffic.aborted = f"{', '.join(dead)} exited"
            elif time.monotonic() - traffic.last_accepted > stall:
                traffic.aborted = f"no order accepted for {stall:g} s"
            eventlet.sleep(0.5)

    guard = eventlet.spawn(watchdog)
    pool = eventlet.GreenPool(clients)
    for _ in range(clients):
        pool.spawn(client)
    pool.waitall()
    guard.kill()
    return traffic
