"""The webhooks rows: deliveries per second to a local receiver, and the event chain
conversion -> ``commission.created`` at the brand's receiver at 30 conversions/s.

The receiver is an HTTP server in this process (green threads, HTTP/1.1 keep-alive)
that answers 200 at once and stamps each arrival; a delivery counts once per
``webhook-id`` (a duplicate after a lease ran out is not a second delivery). The webhooks
service is restarted with local destinations allowed (http, 127.0.0.1), as in tests.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import eventlet
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from bench import load
from bench.scenarios import World, _r, _require
from bench.stats import percentile
from common.contracts.commissions import COMMISSION_CREATED
from common.contracts.examples import example
from common.seedwork.application.integration import IntegrationEvent

LOCAL = {"WEBHOOKS_ALLOW_HTTP": "true", "WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS": "true",
         "WEBHOOKS_POLL_INTERVAL": "0.5"}
CHAIN_RATE = 30.0


def chain_key(rate: float) -> str:
    return f"conversion -> receiver @ {rate:g}/s"


class Receiver:
    """Stamps the first arrival of each webhook-id, and of each conversion's commission."""

    def __init__(self):
        self.first_seen: dict[str, float] = {}        # webhook-id -> arrival
        self.by_conversion: dict[str, float] = {}     # conversion id -> arrival
        self.by_event: dict[str, float] = {}          # event id -> arrival
        self.requests = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.perf_counter()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                message = json.loads(body)
                with receiver.lock:
                    receiver.requests += 1
                    receiver.first_seen.setdefault(self.headers["webhook-id"], arrived)
                    receiver.by_event.setdefault(message["event_id"], arrived)
                    conversion = message["data"].get("conversion_id")
                    if conversion:
                        receiver.by_conversion.setdefault(conversion, arrived)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = eventlet.spawn(self.server.serve_forever)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


RESTART_STEP = "restart webhooks with local receivers allowed"
DELIVERIES_STEP = "deliveries to a local receiver"
ENDPOINTS = 4  # x max_in_flight_per_endpoint (4) = max_in_flight (16): the whole driver


def deliveries(settings) -> int:
    return 3000 if settings.mode == "full" else 100


def plan(settings) -> list[tuple[str, float]]:
    """The steps ``webhooks`` announces, with the seconds each should take."""
    return [(RESTART_STEP, 6.0), (DELIVERIES_STEP, 2.0 + deliveries(settings) / 150),
            (chain_key(CHAIN_RATE), settings.chain_seconds + settings.quiet_window + 3.0)]


def _announce(env, label: str) -> None:
    progress = getattr(env, "progress", None)  # the progress display, when there is one
    if progress is not None:
        progress.step("webhooks", label)


def webhooks(env, settings, report) -> None:
    _require(env, "partners", "campaigns", "tracking", "commissions", "webhooks")
    _announce(env, RESTART_STEP)
    env.stack.restart("webhooks", extra_env=LOCAL)
    receiver = Receiver()
    endpoints: list[str] = []
    try:
        count = deliveries(settings)
        _announce(env, DELIVERIES_STEP)
        report.add("webhooks", DELIVERIES_STEP,
                   _throughput(env, receiver, count, endpoints))
        env.wait_quiet()
        _announce(env, chain_key(CHAIN_RATE))
        report.add("webhooks", chain_key(CHAIN_RATE),
                   _chain(env, receiver, CHAIN_RATE, settings.chain_seconds, endpoints))
    finally:
        _delete(env, endpoints)  # later scenarios find the platform as this one did
        receiver.close()


def _subscribe(rpc, endpoints: list[str], brand: str, url: str) -> None:
    created = rpc.webhooks.create_endpoint({"owner_type": "brand", "owner_id": brand,
                                            "url": url, "event_types": ["commission.created"]})
    endpoints.append(created["endpoint_id"])


def _delete(env, endpoints: list[str]) -> None:
    """Without their endpoints, the World brand's conversions in later scenarios would
    keep making deliveries to the closed receiver (failing, retried: load of their own)."""
    with ClusterRpcProxy(env.config, timeout=30) as rpc:
        for endpoint_id in endpoints:
            rpc.webhooks.delete_endpoint(endpoint_id)


def _throughput(env, receiver: Receiver, count: int, endpoints: list[str]) -> dict:
    """``count`` commission_created events on the broker at once, for ``ENDPOINTS``
    brands with one endpoint each (the per-endpoint bound would otherwise cap the
    driver): how fast they reach the receiver (first publish -> last first arrival)."""
    brands = [str(uuid.uuid4()) for _ in range(ENDPOINTS)]
    with ClusterRpcProxy(env.config, timeout=30) as rpc:
        for brand in brands:
            _subscribe(rpc, endpoints, brand, receiver.url)
    published: dict[str, float] = {}
    exchange = get_event_exchange("commissions", env.config)
    began = time.perf_counter()
    with Connection(env.amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        for n in range(count):
            payload = {**example(COMMISSION_CREATED), "brand_id": brands[n % ENDPOINTS],
                       "commission_id": str(uuid.uuid4()), "conversion_id": None}
            message = IntegrationEvent.new(
                source="commissions", type=COMMISSION_CREATED.name,
                version=COMMISSION_CREATED.version,
                payload=COMMISSION_CREATED.serialize(payload)).to_message()
            producer.publish(message, exchange=exchange, routing_key=COMMISSION_CREATED.name,
                             declare=[exchange], delivery_mode=2)
            published[message["event_id"]] = time.perf_counter()
    deadline = time.monotonic() + max(60, count / 20)
    while _arrived(receiver, published) < count and time.monotonic() < deadline:
        eventlet.sleep(0.05)
    with receiver.lock:
        arrivals = {event: receiver.by_event[event] for event in published
                    if event in receiver.by_event}
    lost = count - len(arrivals)
    elapsed = (max(arrivals.values()) - began) if arrivals else None
    latencies = [(arrivals[event] - published[event]) * 1000 for event in arrivals]
    return {"rate_per_s": round(len(arrivals) / elapsed, 1) if elapsed else None,
            "sent": count, "endpoints": ENDPOINTS, "delivered": len(arrivals), "errors": lost,
            "seconds": round(elapsed, 2) if elapsed else None,
            "p50_ms": _r(percentile(latencies, 50)), "p99_ms": _r(percentile(latencies, 99)),
            "latency": "publish on the broker -> first arrival at the receiver"}


def _arrived(receiver: Receiver, published: dict) -> int:
    with receiver.lock:
        return sum(1 for event in published if event in receiver.by_event)


def _chain(env, receiver: Receiver, rate: float, seconds: float,
           endpoints: list[str]) -> dict:
    """Conversions at ``rate``/s through the whole platform (tracking -> commissions ->
    webhooks): from the record_conversion call to its brand's receiver getting the
    ``commission.created`` webhook."""
    world = World.get(env)
    config = env.config
    with ClusterRpcProxy(config, timeout=30) as rpc:
        _subscribe(rpc, endpoints, world.brand_id, receiver.url)
    sent_at: dict[str, float] = {}
    run = uuid.uuid4().hex[:8]
    clients = [ClusterRpcProxy(config, timeout=30) for _ in range(16)]
    proxies = eventlet.queue.LightQueue()
    for client in clients:
        proxies.put(client.start())

    def send(n):
        proxy = proxies.get()
        try:
            started = time.perf_counter()
            result = proxy.tracking.record_conversion({
                "brand_id": world.brand_id, "order_id": f"hook-{run}-{n}", "amount": "50.00",
                "currency": "USD", "referral_code": world.referral_code})
            sent_at[result["conversion_id"]] = started
        finally:
            proxies.put(proxy)

    sent, errors, samples = load.paced_stream(rate, seconds, send)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
            conversion not in receiver.by_conversion for conversion in list(sent_at)):
        eventlet.sleep(0.1)
    for client in clients:
        client.stop()
    with receiver.lock:
        latencies = [(receiver.by_conversion[c] - started) * 1000
                     for c, started in sent_at.items() if c in receiver.by_conversion]
    lost = len(sent_at) - len(latencies)
    return {"rate_per_s": round(sent / seconds, 1), "sent": sent, "errors": errors + lost,
            "not_seen": lost, "p50_ms": _r(percentile(latencies, 50)),
            "p95_ms": _r(percentile(latencies, 95)), "p99_ms": _r(percentile(latencies, 99)),
            "error_samples": samples}
