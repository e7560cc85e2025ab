"""Prometheus metrics of the platform: every name, its labels, and the ``/metrics`` server.

Every metric is defined here, once per process, in prometheus-client's default registry
(which also carries the process collector: CPU, memory, open files). Metrics of one kind
share one name across services and carry a ``service`` label, so one alert rule or one
dashboard panel covers them all. Labels are **bounded**: service, method and handler
names come from the code, routes are templates (``/api/v1/partners/<partner_id>``),
outcomes and reasons are short fixed vocabularies, currencies are ISO 4217 codes -- never
an id, a path, an email or an amount (``tests/unit/test_metrics.py`` checks it).

The list with meanings is in docs/observability.md; ``Observability``
(``common/nameko/observability.py``) fills the entrypoint metrics and the gauges,
``common/nameko/business.py`` the business counters.

``serve(host, port)`` answers ``GET /metrics`` (Prometheus text or OpenMetrics, gzip on
request) from an eventlet WSGI server: one green thread, no OS thread.
"""
from __future__ import annotations

import logging

import eventlet
from eventlet import wsgi
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app

log = logging.getLogger(__name__)

PREFIX = "alpes"

# Seconds. Our RPCs answer in ~1-50 ms; a slow one is a problem at 1 s, a timeout at 5 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)

# outcomes (bounded vocabularies) --------------------------------------------------------
OK = "ok"
REFUSED = "refused"      # an expected, typed error: the caller's input or a business rule
ERROR = "error"          # an unexpected exception
UNAVAILABLE = "unavailable"  # no answer in time, the service not running, or its own
#                              ServiceUnavailable (its database down): not the caller's fault
PROCESSED = "processed"  # event handler: the worker finished
FAILED = "failed"        # event handler: the worker raised (retried or dead-lettered next)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# entrypoints -----------------------------------------------------------------------------
RPC_SERVER = Histogram(
    f"{PREFIX}_rpc_server_duration_seconds",
    "RPC methods served: time from the worker's start to its reply, by outcome "
    "(ok, refused = a typed error the caller earned, error = unexpected or the service "
    "unavailable).",
    ["service", "method", "outcome"], buckets=LATENCY_BUCKETS)
RPC_CLIENT = Histogram(
    f"{PREFIX}_rpc_client_duration_seconds",
    "RPC calls made through RpcClient: time to the answer, by target "
    "(<service>.<method>) and outcome (ok, refused, error, unavailable).",
    ["service", "target", "outcome"], buckets=LATENCY_BUCKETS)
HTTP_SERVER = Histogram(
    f"{PREFIX}_http_server_duration_seconds",
    "HTTP requests answered by the BFF, by route template and status class.",
    ["service", "method", "route", "status_class"], buckets=LATENCY_BUCKETS)
EVENT_HANDLER = Histogram(
    f"{PREFIX}_event_handler_duration_seconds",
    "Event handler workers, by handler (<service>.<method>) and outcome "
    "(processed, failed).", ["service", "handler", "outcome"], buckets=LATENCY_BUCKETS)
EVENT_DELIVERIES = Counter(
    f"{PREFIX}_event_deliveries",
    "Event deliveries to a handler, by outcome: processed, failed (the handler raised), "
    "retried (sent to its retry queue), dead_lettered (to dlq.<service>, "
    "see alpes_dead_letters_total for the reason).",
    ["service", "handler", "outcome"])
DEAD_LETTERS = Counter(
    f"{PREFIX}_dead_letters",
    "Messages a handler gave up on, by reason (handler_failed, rejected_by_handler, or a "
    "poison reason: undecodable, malformed_envelope, unknown_version...).",
    ["service", "handler", "reason"])
TIMER = Histogram(
    f"{PREFIX}_timer_duration_seconds", "Timer ticks, by timer and outcome (ok, error).",
    ["service", "timer", "outcome"], buckets=LATENCY_BUCKETS)

# messaging state (gauges refreshed every METRICS.refresh_seconds) ------------------------
OUTBOX_BACKLOG = Gauge(
    f"{PREFIX}_outbox_backlog", "Outbox rows not published yet.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    f"{PREFIX}_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none).", ["service"])
OUTBOX_PUBLISHED = Counter(
    f"{PREFIX}_outbox_published",
    "Events the relay published (confirmed by the broker): right after commit (relay) or "
    "left by a crash or an outage (sweep).", ["service", "path"])
DLQ_DEPTH = Gauge(
    f"{PREFIX}_dead_letter_queue_depth", "Messages waiting in dlq.<service>.", ["service"])
REPLICA_CACHE_LOOKUPS = Counter(
    f"{PREFIX}_replica_cache_lookups",
    "Look-ups in a service's in-process replica cache: hit or miss (read from the "
    "database).", ["service", "kind", "outcome"])
REPLICA_CACHE_EVICTIONS = Counter(
    f"{PREFIX}_replica_cache_evictions",
    "Entries dropped from a replica cache because it was full.", ["service", "kind"])
REPLICA_CACHE_ENTRIES = Gauge(
    f"{PREFIX}_replica_cache_entries", "Entries a replica cache holds now.",
    ["service", "kind"])
MAIL_MESSAGES = Counter(
    f"{PREFIX}_mail_messages",
    "Emails a service sent: sent, retried (a try failed; another follows) or dropped (the "
    "last try failed).", ["service", "outcome"])
CLICKS_UNCONFIRMED = Gauge(
    f"{PREFIX}_clicks_unconfirmed",
    "Referral clicks the BFF answered that the broker has not confirmed yet (journaled or "
    "buffered hand-over; set by the flusher). At BFF.click_buffer_max redirects answer 503.",
    ["service"])
REFRESH_ERRORS = Counter(
    f"{PREFIX}_metrics_refresh_errors",
    "Gauge refreshes that failed (database or broker unreachable).", ["service", "gauge"])

# process ---------------------------------------------------------------------------------
SERVICE_INFO = Gauge(
    f"{PREFIX}_service_info", "Always 1: the service this process runs, and its tracing.",
    ["service", "tracing"])
WORKERS_RUNNING = Gauge(
    f"{PREFIX}_workers_running", "Nameko workers running now (max_workers caps them).",
    ["service"])
WORKERS_MAX = Gauge(f"{PREFIX}_workers_max", "The container's max_workers.", ["service"])


def http_method(method: str) -> str:
    return method if method in HTTP_METHODS else "OTHER"


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


# exposition ------------------------------------------------------------------------------
class MetricsServer:
    """``GET /metrics`` on ``host:port`` from an eventlet WSGI server (a green thread)."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self._socket = None
        self._thread = None

    def start(self) -> bool:
        """Listen; False (with a warning) when the port is taken: the service runs on,
        without its endpoint (another instance on this host has it)."""
        try:
            # no SO_REUSEPORT (eventlet's default): a second process on the port must be
            # refused, not share it -- scrapes would land on either at random
            self._socket = eventlet.listen((self.host, self.port), reuse_port=False)
        except OSError as error:
            log.warning("metrics: cannot listen on %s:%s (%s); /metrics is not served by "
                        "this process", self.host, self.port, error.strerror or error)
            return False
        self.port = self._socket.getsockname()[1]
        app = _only_metrics(make_wsgi_app(REGISTRY))
        self._thread = eventlet.spawn(
            wsgi.server, self._socket, app, log=log, log_output=False, debug=False)
        log.info("metrics: http://%s:%s/metrics", self.host, self.port)
        return True

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.kill()
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()


def _only_metrics(app):
    def only(environ, start_response):
        if environ.get("PATH_INFO") not in ("/metrics", "/metrics/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"metrics are at /metrics\n"]
        return app(environ, start_response)

    return only
