"""The whole platform for reliability scenarios: every service a `nameko run` process,
on its own vhost and fresh SQLite files (once for the bounded layer and healed between
modules, once per module in the long form: see conftest.py), with fast retry, outbox
and timer settings, plus small helpers to build a world through RPC and HTTP.

``Platform(db="postgres", instances=2)`` runs two processes of every service on fresh
PostgreSQL databases (dropped at the end) instead: ``tracking`` and ``tracking-2``...,
the second BFF on the next port (``base_urls``), as a load balancer would see them.

    def test_something(platform):
        brand = platform.new_brand()
        campaign = platform.new_campaign(brand)
        partner = platform.new_partner()
        code = platform.enroll(partner, campaign)
        ...
        platform.restart("commissions", extra_env={"ALPES_FAULTS": "..."})
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from urllib.parse import quote

import eventlet
import kombu
import requests
from nameko.exceptions import RpcTimeout
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from common.nameko.config import load_config
from tests.support import PROBE_PREFIX, EventProbe, wait_for
from tools.backlog import queued_messages, wait_until_drained
from tools.ports import RELIABILITY, free_port_block
from tools.stack import Stack

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = ("partners", "campaigns", "tracking", "commissions", "payouts", "identity",
            "webhooks", "bff")
MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")

FAST = {
    "LOG_LEVEL": "INFO",
    "OUTBOX_SWEEP_INTERVAL": "0.3",
    "OUTBOX_GRACE_SECONDS": "1",
    "OUTBOX_LEASE_SECONDS": "3",              # a killed relay's claimed rows: back after 3 s
    "EVENT_RETRY_MAX_ATTEMPTS": "3",
    "EVENT_RETRY_INITIAL_DELAY_MS": "200",
    "RPC_TIMEOUT_SECONDS": "3",
    "COMMISSIONS_APPROVAL_INTERVAL": "0.5",
    "COMMISSIONS_PARKED_REFUNDS_INTERVAL": "1",
    "PAYOUTS_SAGA_INTERVAL": "0.5",
    "PAYOUTS_SAGA_LEASE": "3",
    "PAYOUTS_SAGA_RETRY_DELAY": "1",
    "PSP_LATENCY_MS": "5",
    "TRACKING_TOO_FAST_SECONDS": "0",        # scenarios send orders right after clicks
    "TRACKING_FLOODING_MAX_CLICKS": "100000",  # load comes from a handful of addresses
    "BFF_TRUST_FORWARDED_FOR": "true",        # each actor has its own X-Forwarded-For
    "WEBHOOKS_ALLOW_HTTP": "true",            # receivers run on 127.0.0.1 here
    "WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS": "true",
    **{f"BFF_RATE_{name}": "100000000" for name in (
        "TOKEN", "POSTBACK", "SIGNUP", "REDIRECT", "PUBLIC")},
}


@dataclasses.dataclass
class Brand:
    brand_id: str
    token: str


@dataclasses.dataclass
class Partner:
    partner_id: str
    token: str
    ip: str


@dataclasses.dataclass
class Campaign:
    campaign_id: str
    brand: Brand


POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/"


class Platform:
    def __init__(self, services=SERVICES, extra_env: dict | None = None, *,
                 db: str = "sqlite", instances: int = 1):
        self.vhost = f"rel-{uuid.uuid4().hex[:8]}"
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix="alpes-rel-"))
        self.instances = instances
        # the BFFs' ports, then each instance's /metrics ports (port_base + 10 per extra
        # instance): never the 9400s of a developer's `make run` or of a platform run
        # side by side (tools/test_shards.py)
        ports = _free_ports(instances + 10 * instances)
        self.ports, self.metrics_base = ports[:instances], ports[instances]
        self.port = self.ports[0]
        self.secret = f"rel-{uuid.uuid4().hex}{uuid.uuid4().hex}"
        self.db = db
        databases = ({"DB_PREFIX": f"{POSTGRES}rel_{self.vhost[4:]}_", "DB_SUFFIX": ""}
                     if db == "postgres" else
                     {"DB_PREFIX": f"sqlite:///{self.workdir}/", "DB_SUFFIX": ".db"})
        self.env = {
            **FAST,
            "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}",
            **databases,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.port}",
            "METRICS_PORT_BASE": str(self.metrics_base),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "ALPES_JWT_SECRET": self.secret,
            "BFF_CLICK_JOURNAL_DIR": str(self.workdir / "clicks"),  # what a killed BFF left
            **(extra_env or {}),
        }
        self.services = list(services)
        self.stack: Stack | None = None
        self.http = requests.Session()
        self._ips = (f"203.0.113.{n}" for n in range(1, 250))
        self._probes: list[EventProbe] = []

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> "Platform":
        requests.put(f"{MANAGEMENT}/vhosts/{self.vhost}", auth=AUTH, timeout=10
                     ).raise_for_status()
        requests.put(f"{MANAGEMENT}/permissions/{self.vhost}/guest", auth=AUTH, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        for command in ("migrate", "topology"):
            subprocess.run([str(pathlib.Path(sys.executable).with_name("alpes")), "--config",
                            "config.yaml", command], cwd=ROOT, env={**os.environ, **self.env},
                           check=True, capture_output=True, timeout=120)
        self.stack = Stack(self.services, env=self.env, log_dir=self.workdir / "logs",
                           instances=self.instances)
        try:
            self.stack.start(timeout=90 * self.instances)
            if "bff" in self.services:
                for base_url in self.base_urls:
                    wait_for(lambda url=base_url: self._http_up(url), timeout=30,
                             message=f"the BFF's HTTP port ({base_url})")
        except BaseException:
            self.stop()  # no fixture will: leave no process, vhost or database behind
            raise
        return self

    def stop(self) -> None:
        self.close_probes()
        if self.stack:
            self.stack.stop()
        # after thousands of messages RabbitMQ can take well over 10 s to drop a vhost
        requests.delete(f"{MANAGEMENT}/vhosts/{quote(self.vhost, safe='')}", auth=AUTH,
                        timeout=120)
        if self.db == "postgres":
            from common.seedwork.infrastructure.database import drop_database

            for uri in self.config["DB_URIS"].values():
                drop_database(uri)

    def restart(self, service: str, extra_env: dict | None = None) -> None:
        """Stop (SIGTERM) and start again, with environment overrides (e.g. a fault)."""
        self.stack.restart(service, extra_env=extra_env or {})

    def close_probes(self) -> None:
        """Delete every probe's queue: left behind, they would keep collecting events."""
        while self._probes:
            self._probes.pop().close()

    def heal(self) -> list[str]:
        """Close the probes and restart, with the plain environment, every service that
        is down or was last started with overrides (a fault): what a scenario leaves must
        not leak into the next one. Returns the services restarted."""
        self.close_probes()
        healed = []
        for name, process in self.stack.processes.items():
            faulty = any(value for value in process.overrides.values())
            if faulty or not process.running:
                process.stop()
                process.start()
                healed.append(name)
        if healed:
            self.stack.wait_ready(healed)
        self.wait_quiet()
        return healed

    def queued(self) -> dict[str, int]:
        """Queues of the platform still holding messages, by name (see
        tools/backlog.py)."""
        return queued_messages(MANAGEMENT, AUTH, self.vhost)

    def wait_quiet(self, timeout: float = 300.0, window: float = 6.0) -> None:
        """Until no handler queue has held a message for ``window`` seconds: a scenario's
        leftover traffic must not reach the next one's probes. A probe's queue is the
        test's recorder, read when the test asks: not work left."""
        wait_until_drained(MANAGEMENT, AUTH, self.vhost, window=window, timeout=timeout,
                           ignore=(PROBE_PREFIX,))

    def kill(self, service: str) -> None:
        """SIGKILL: a crash, no cleanup."""
        self.stack.processes[service].kill()

    def stop_service(self, service: str) -> None:
        self.stack.processes[service].stop()

    def start_service(self, service: str, extra_env: dict | None = None) -> None:
        self.stack.processes[service].start(extra_env or {})
        self.stack.wait_ready([service])

    def running(self, service: str) -> bool:
        return self.stack.processes[service].running

    def logs(self, service: str) -> str:
        return (self.workdir / "logs" / f"{service}.log").read_text(errors="replace")

    def stop_services(self, *services: str) -> None:
        """SIGTERM several services at once (graceful: in-flight work ends and is acked),
        then wait for each."""
        for service in services:
            self.stack.processes[service].terminate()
        for service in services:
            self.stack.processes[service].stop()

    def start_services(self, *services: str, extra_env: dict | None = None,
                       wait: bool = True) -> None:
        """Start several services at once. ``wait=False`` when a fault may kill one before
        it answers its health check (a saga resumed at start-up, say)."""
        for service in services:
            self.stack.processes[service].start(extra_env or {})
        if wait:
            self.stack.wait_ready(list(services))

    def wait_exited(self, service: str, timeout: float = 30) -> int:
        """Until the service's process is gone (a fault's SIGKILL). Its return code."""
        process = self.stack.processes[service]
        wait_for(lambda: not process.running, timeout=timeout, interval=0.1,
                 message=f"{service} to exit")
        return process.process.returncode

    # access ------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        previous = dict(os.environ)
        os.environ.update(self.env)
        try:
            return load_config(str(ROOT / "config.yaml"))
        finally:
            os.environ.clear()
            os.environ.update(previous)

    @property
    def amqp_uri(self) -> str:
        return self.env["AMQP_URI"]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_urls(self) -> list[str]:
        """Every BFF's address (one per instance), as a load balancer in front knows them."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @contextlib.contextmanager
    def rpc(self, timeout: float = 15):
        with ClusterRpcProxy(self.config, timeout=timeout) as proxy:
            yield proxy

    def token(self, role: str, subject: str) -> str:
        from services.bff.tokens import mint

        return mint(role, subject, secret=self.secret)

    def request(self, method: str, path: str, token: str | None = None, *,
                ip: str = "192.0.2.1", **kwargs) -> requests.Response:
        headers = {"X-Forwarded-For": ip, **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base_url + path, headers=headers,
                                 allow_redirects=False, timeout=30, **kwargs)

    # observing the messaging and the services' records ---------------------------------
    def event_probe(self, source: str, routing_key: str = "#") -> EventProbe:
        """A queue bound to ``<source>.events`` recording what is published there
        (closed with the platform)."""
        probe = EventProbe(self.amqp_uri, source, routing_key)
        self._probes.append(probe)
        return probe

    def publish_raw(self, source: str, envelope: dict, times: int = 1) -> None:
        """Publish an event envelope to ``<source>.events`` as the outbox relay does: a
        redelivery, as a broker or a relay crash between publish and stamp makes one."""
        exchange = get_event_exchange(source, {})
        with kombu.Connection(self.amqp_uri) as connection:
            producer = connection.Producer(serializer="json")
            for _ in range(times):
                producer.publish(envelope, exchange=exchange, routing_key=envelope["type"],
                                 declare=[exchange], delivery_mode=2,
                                 message_id=envelope["event_id"], type=envelope["type"])

    def ready_messages(self, queue: str) -> int:
        """Messages waiting in ``queue`` (not delivered to a consumer), straight from the
        broker (the management API's figures lag by seconds)."""
        with kombu.Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            _, ready, _ = channel.queue_declare(queue=queue, passive=True)
            return ready

    def dead_letters(self, service: str) -> list[dict]:
        from common.nameko.dead_letters import list_dead_letters

        return list_dead_letters(self.amqp_uri, [service])

    def sql(self, service: str, query: str, *params) -> list[tuple]:
        """Read a service's database (``?`` placeholders; read-only on SQLite): what the
        service itself keeps, e.g. the simulated PSP's payments in ``payouts``."""
        if self.db == "postgres":
            return self._postgres_sql(service, query, params)
        path = self.workdir / f"{service}.db"
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(query, params).fetchall()
        finally:
            connection.close()

    def _postgres_sql(self, service: str, query: str, params: tuple) -> list[tuple]:
        import sqlalchemy

        uri = self.config["DB_URIS"][f"{service}:Base"]
        engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.exec_driver_sql(
                    query.replace("?", "%s"), params)]
        finally:
            engine.dispose()

    def _http_up(self, base_url: str | None = None) -> bool:
        try:
            return self.http.get((base_url or self.base_url) + "/api/v1/openapi.json",
                                 timeout=2).ok
        except requests.RequestException:
            return False

    # building a world through RPC ----------------------------------------------------------
    def new_brand(self, currency: str = "USD") -> Brand:
        with self.rpc() as rpc:
            brand_id = rpc.campaigns.register_brand({"name": "Brand", "currency": currency})[
                "brand_id"]
        return Brand(brand_id, self.token("brand", brand_id))

    def new_campaign(self, brand: Brand, *, budget: str = "1000000.00", rate: str = "0.10",
                     hold_days: int = 0, currency: str = "USD", terms: dict | None = None
                     ) -> Campaign:
        terms = terms or {"model": "CPS", "rate": rate, "attribution_window_days": 30,
                          "hold_days": hold_days}
        with self.rpc() as rpc:
            campaign = rpc.campaigns.create_campaign({
                "brand_id": brand.brand_id, "name": "Campaign", "currency": currency,
                "budget": {"amount": budget, "currency": currency},
                "landing_url": "https://shop.example.com/landing", "terms": terms})
            rpc.campaigns.activate_campaign(campaign["campaign_id"], brand.brand_id)
        return Campaign(campaign["campaign_id"], brand)

    def new_partner(self, *, active: bool = True) -> Partner:
        email = f"p-{uuid.uuid4().hex[:10]}@example.com"
        with self.rpc() as rpc:
            partner_id = rpc.partners.register_partner({
                "name": "Partner", "email": email, "type": "affiliate", "country": "ES",
                "payout_method": {"type": "paypal", "email": email}})["partner_id"]
            if active:
                rpc.partners.verify_partner(partner_id)
                rpc.partners.activate_partner(partner_id)
        return Partner(partner_id, self.token("partner", partner_id), next(self._ips))

    def enroll(self, partner: Partner, campaign: Campaign) -> str:
        """Enroll (waiting for the partner's activation to reach campaigns) and wait until
        tracking knows the code. Returns the referral code."""
        def attempt():
            with self.rpc() as rpc:
                try:
                    return rpc.campaigns.enroll_partner(campaign.campaign_id,
                                                        partner.partner_id)["referral_code"]
                except Exception:
                    return None

        code = wait_for(attempt, timeout=30, interval=0.2, message="the enrollment")
        wait_for(lambda: self._tracking_knows(code), timeout=30, interval=0.2,
                 message="tracking to learn the code")
        return code

    def _tracking_knows(self, code: str) -> bool:
        answer = self.request("GET", f"/r/{code}", ip="198.51.100.250")
        return answer.status_code == 302

    def click(self, code: str, ip: str = "198.51.100.10") -> str:
        with self.rpc() as rpc:
            return rpc.tracking.record_click({"referral_code": code, "ip": ip,
                                              "user_agent": "reliability"})["click_id"]

    def convert(self, campaign: Campaign, code: str, *, amount: str = "100.00",
                order_id: str | None = None, click: bool = True,
                currency: str = "USD") -> dict:
        click_id = self.click(code) if click else None
        payload = self._order(campaign, code, amount=amount, currency=currency,
                              order_id=order_id, click_id=click_id)
        with self.rpc() as rpc:
            return rpc.tracking.record_conversion(payload)

    def convert_many(self, campaign: Campaign, codes: list[str], count: int, *,
                     clients: int = 5, amount: str = "100.00", currency: str = "USD"
                     ) -> tuple[list[dict], list[Exception]]:
        """``count`` orders credited by referral code (round robin over ``codes``), sent by
        ``clients`` green threads with a proxy each. Returns (the answers, the errors)."""
        answers: list[dict] = []
        errors: list[Exception] = []

        def client(first: int) -> None:
            with self.rpc() as rpc:
                for n in range(first, count, clients):
                    payload = self._order(campaign, codes[n % len(codes)], amount=amount,
                                          currency=currency)
                    try:
                        answers.append(rpc.tracking.record_conversion(payload))
                    except Exception as error:  # counted by the caller
                        errors.append(error)

        pool = eventlet.GreenPool(clients)
        for first in range(clients):
            pool.spawn(client, first)
        pool.waitall()
        return answers, errors

    @staticmethod
    def _order(campaign: Campaign, code: str, *, amount: str, currency: str,
               order_id: str | None = None, click_id: str | None = None) -> dict:
        payload = {"brand_id": campaign.brand.brand_id,
                   "order_id": order_id or f"o-{uuid.uuid4().hex[:12]}", "amount": amount,
                   "currency": currency, "customer_ip": "198.51.100.10"}
        payload.update({"click_id": click_id} if click_id else {"referral_code": code})
        return payload

    def commissions_of(self, partner: Partner, status: str | None = None) -> list[dict]:
        items, page = [], 1
        with self.rpc() as rpc:
            while True:
                query = {"partner_id": partner.partner_id, "page": page, "page_size": 100}
                if status:
                    query["status"] = status
                result = rpc.commissions.list_commissions(query)
                items += result["items"]
                if len(items) >= result["total"] or not result["items"]:
                    return items
                page += 1

    def balance(self, partner: Partner, currency: str) -> dict:
        """The partner's ledger in ``currency`` (zeros before its first commission)."""
        with self.rpc() as rpc:
            balances = rpc.commissions.get_balance(partner.partner_id)["balances"]
        zero = dict.fromkeys(("pending", "approved", "in_payout", "paid", "adjustments",
                              "payable"), "0")
        return next((b for b in balances if b["currency"] == currency),
                    {"currency": currency, **zero})

    # payouts -----------------------------------------------------------------------------
    def start_payout(self, partner: Partner, currency: str, cycle: str,
                     min_amount: str = "0", timeout: float = 30) -> str:
        """Run the cycle until the partner's payout starts (payouts learns partners from
        their events, commissions approves after its timer). Returns the payout id."""
        def started():
            try:
                with self.rpc(timeout=10) as rpc:
                    result = rpc.payouts.run_payouts({"currency": currency, "cycle": cycle,
                                                      "min_amount": min_amount})
            except RpcTimeout:  # a fault killed payouts before it answered: its records tell
                return self._payout_of(partner, currency, cycle)
            return next((s["payout_id"] for s in result["started"]
                         if s["partner_id"] == partner.partner_id), None)

        return wait_for(started, timeout=timeout, interval=0.3,
                        message=f"a payout for {partner.partner_id} to start")

    def _payout_of(self, partner: Partner, currency: str, cycle: str) -> str | None:
        rows = self.sql("payouts", "SELECT id FROM payouts WHERE partner_id = ? AND "
                        "currency = ? AND cycle = ?", partner.partner_id, currency, cycle)
        return rows[0][0] if rows else None

    def wait_payout(self, payout_id: str, status: str, timeout: float = 60) -> dict:
        def reached():
            with self.rpc() as rpc:
                payout = rpc.payouts.get_payout(payout_id)
            return payout if payout["status"] == status else None

        return wait_for(reached, timeout=timeout, interval=0.2,
                        message=f"payout {payout_id} {status}")

    def psp_payments(self, payee: Partner) -> list[str]:
        """The idempotency key (= payout id) of every payment the simulated PSP made to
        the partner, duplicates included."""
        return [row[0] for row in self.sql(
            "payouts", "SELECT idempotency_key FROM psp_payments WHERE payee_id = ?",
            payee.partner_id)]


def _free_ports(count: int) -> list[int]:
    """``count`` consecutive free ports in the reliability range (tools/ports.py); the
    BFF's instances bind the ones after the first."""
    first = free_port_block(count, RELIABILITY)
    return list(range(first, first + count))
