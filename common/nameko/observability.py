"""``Observability``: every service's metrics endpoint, worker metrics, gauges and spans.

Every service inherits it from ``health.HealthMixin`` (a service needing extra gauges
declares its own: ``observability = Observability(gauges=[...])``). Per container:

* ``start()``: ``GET /metrics`` on ``METRICS.host`` and the service's port
  (``METRICS.port``, else ``port_base`` + the service's offset in ``METRICS.offsets``) --
  unless ``METRICS.enabled`` is false or the section is absent (the in-process tests);
  and a green thread refreshing the gauges every ``refresh_seconds``: outbox backlog
  and oldest row age (one indexed query on the service's own table), the dead-letter
  queue's depth (a passive ``queue_declare``: the broker's count, nothing consumed),
  running workers, and the service's own gauges (payouts: its sagas by state);
* per worker (unless metrics and tracing are both off), in the worker's green thread:
  its duration and outcome into the RPC,
  event-handler or timer histogram (the BFF's HTTP requests are measured by its WSGI
  app, by route template) and, with tracing on, a span: a child of the caller's
  ``traceparent`` (RPC context data, the event's envelope, the HTTP request), current
  while the worker runs, whose own ``traceparent`` the worker passes on.

Nameko's way: ``__init__`` stores arguments, ``setup()`` reads config, ``start()``
starts, ``stop()``/``kill()`` clean up.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import eventlet
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from sqlalchemy import MetaData, func, select

from common.nameko import context, metrics, tracing
from common.nameko.config import flag
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import ServiceUnavailable
from common.seedwork.infrastructure.messaging import outbox_table

log = logging.getLogger(__name__)

METRICS_DEFAULTS = {
    "enabled": False,          # no METRICS section (in-process tests): no endpoint
    "host": "127.0.0.1",
    "port": None,              # this process's port; None: port_base + offset
    "port_base": 9400,
    "offsets": {},
    "refresh_seconds": 5.0,
}
Gauges = Callable[[Any], None]   # called with the service's Database every refresh


def metrics_settings(config: dict, service_name: str) -> dict[str, Any]:
    found = {**METRICS_DEFAULTS, **(config.get("METRICS") or {})}
    found["enabled"] = flag(found["enabled"])
    port = found.get("port")
    if port in (None, ""):
        offset = (found.get("offsets") or {}).get(service_name)
        port = None if offset is None else int(found["port_base"]) + int(offset)
    found["port"] = None if port in (None, "") else int(port)
    found["refresh_seconds"] = float(found["refresh_seconds"])
    return found


class _Probe:
    """What one entrypoint records: its kind, names and pre-bound metric children."""

    __slots__ = ("kind", "name", "span_name", "span_kind", "attributes", "observe",
                 "deliveries")

    def __init__(self, service: str, entrypoint):
        method = entrypoint.method_name
        self.deliveries = None
        self.attributes = {}  # few: the SDK cleans and locks each (service.name is the resource's)
        if isinstance(entrypoint, Rpc):
            self.kind, self.span_kind = "rpc", tracing.SERVER
            self.span_name = f"{service}.{method}"
            self.attributes.update({"rpc.system": "nameko", "rpc.service": service,
                                    "rpc.method": method})
            self.observe = {outcome: metrics.RPC_SERVER.labels(service, method, outcome)
                            for outcome in (metrics.OK, metrics.REFUSED, metrics.ERROR)}
        elif isinstance(entrypoint, EventHandler):
            handler = f"{service}.{method}"
            self.kind, self.span_kind = "event", tracing.CONSUMER
            self.span_name = f"{entrypoint.source_service}.{entrypoint.event_type} process"
            self.attributes.update({
                "messaging.system": "rabbitmq", "messaging.operation.type": "process",
                "messaging.destination.name": f"{entrypoint.source_service}.events",
                "messaging.consumer.group.name": handler,
                "alpes.event.type": entrypoint.event_type})
            self.observe = {outcome: metrics.EVENT_HANDLER.labels(service, handler, outcome)
                            for outcome in (metrics.PROCESSED, metrics.FAILED)}
            self.deliveries = {outcome: metrics.EVENT_DELIVERIES.labels(service, handler, outcome)
                               for outcome in (metrics.PROCESSED, metrics.FAILED)}
        elif isinstance(entrypoint, HttpRequestHandler):
            self.kind, self.span_kind = "http", tracing.SERVER
            self.span_name = f"{entrypoint.method} {entrypoint.url}"
            self.attributes.update({"http.request.method": entrypoint.method,
                                    "http.route": entrypoint.url})
            self.observe = None  # measured by the BFF's WSGI app (every request, by route)
        elif isinstance(entrypoint, Timer):
            self.kind, self.span_kind = "timer", tracing.INTERNAL
            self.span_name = f"{service}.{method} (timer)"
            self.attributes["code.function"] = method
            self.observe = {outcome: metrics.TIMER.labels(service, method, outcome)
                            for outcome in (metrics.OK, metrics.ERROR)}
        else:
            self.kind, self.span_kind = "other", tracing.INTERNAL
            self.span_name = f"{service}.{method}"
            self.attributes["code.function"] = method
            self.observe = None


class Observability(DependencyProvider):
    def __init__(self, gauges: Iterable[Gauges] = ()):
        self.gauges = tuple(gauges)

    # lifecycle ---------------------------------------------------------------------------
    def setup(self):
        config = self.container.config
        self.service = self.container.service_name
        self.settings = metrics_settings(config, self.service)
        self.trace_settings = tracing.settings(config)
        self.provider = tracing.provider_for(config, self.service)
        self.tracer = (self.provider.get_tracer("alpes.nameko")
                       if self.provider is not None else None)
        self.trace_timers = self.trace_settings["timers"]
        self._probes: dict[Any, _Probe] = {}
        self._workers: dict[Any, list] = {}
        self._server: metrics.MetricsServer | None = None
        self._refresher = None
        self._amqp: Connection | None = None
        metrics.SERVICE_INFO.labels(self.service, str(self.tracer is not None).lower()).set(1)
        metrics.WORKERS_MAX.labels(self.service).set(self.container.max_workers)

    def start(self):
        if not self.settings["enabled"]:
            return
        if self.settings["port"] is not None:
            self._server = metrics.MetricsServer(self.settings["host"], self.settings["port"])
            if not self._server.start():
                self._server = None
        self._refresher = self.container.spawn_managed_thread(
            self._refresh_forever, identifier=f"{self.service}.metrics_refresh")

    def stop(self):
        self._shutdown()
        if self.provider is not None:
            self.provider.shutdown()  # flushes batched spans

    def kill(self):
        self._shutdown()

    def _shutdown(self) -> None:
        refresher, self._refresher = self._refresher, None
        if refresher is not None:
            refresher.kill()
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        amqp, self._amqp = self._amqp, None
        if amqp is not None:
            try:
                amqp.release()
            except Exception:  # noqa: BLE001 -- closing a broken connection
                pass

    @property
    def port(self) -> int | None:
        """Where ``/metrics`` answers (None: not served by this process)."""
        return self._server.port if self._server is not None else None

    # per worker --------------------------------------------------------------------------
    def get_dependency(self, worker_ctx):
        return self

    def _probe(self, entrypoint) -> _Probe:
        probe = self._probes.get(entrypoint)
        if probe is None:
            probe = self._probes[entrypoint] = _Probe(self.service, entrypoint)
        return probe

    def worker_setup(self, worker_ctx):
        if self.tracer is None and not self.settings["enabled"]:
            return  # metrics and tracing off: nothing per worker
        probe = self._probe(worker_ctx.entrypoint)
        span = token = None
        if self.tracer is not None and (probe.kind != "timer" or self.trace_timers):
            span, token = self._start_span(probe, worker_ctx)
        self._workers[worker_ctx] = [time.perf_counter(), probe, span, token]

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        state = self._workers.get(worker_ctx)
        if state is None:
            return
        started, probe, span, _ = state
        elapsed = time.perf_counter() - started
        outcome = self._outcome(probe, worker_ctx, exc_info)
        if probe.observe is not None:
            probe.observe[outcome].observe(elapsed)
        if probe.deliveries is not None:
            probe.deliveries[outcome].inc()
        if span is not None:
            self._finish_span(span, probe, outcome, result, exc_info)

    def worker_teardown(self, worker_ctx):
        state = self._workers.pop(worker_ctx, None)
        if state is None:
            return
        span, token = state[2], state[3]
        if span is not None:
            span.end()
            tracing.deactivate(token)

    @staticmethod
    def _outcome(probe: _Probe, worker_ctx, exc_info) -> str:
        if probe.kind == "event":
            return metrics.PROCESSED if exc_info is None else metrics.FAILED
        if exc_info is None:
            return metrics.OK
        error = exc_info[1]
        if (probe.kind == "rpc" and isinstance(error, worker_ctx.entrypoint.expected_exceptions)
                and not isinstance(error, ServiceUnavailable)):  # its own failure: an error
            return metrics.REFUSED
        return metrics.ERROR

    # spans -------------------------------------------------------------------------------
    def _start_span(self, probe: _Probe, worker_ctx):
        attributes = dict(probe.attributes)
        attributes["alpes.correlation_id"] = context.ensure_correlation_id(worker_ctx)
        links = []
        traceparent = worker_ctx.data.get(tracing.TRACEPARENT)
        if probe.kind == "event" and worker_ctx.args:
            event = worker_ctx.args[0]
            produced_by = (event.get("traceparent") if isinstance(event, dict)  # plain handler
                           else getattr(event, "traceparent", None))
            if produced_by:  # the envelope's: the producer's span, however late it came
                traceparent = produced_by
                links = tracing.links_to(produced_by)
            event_id = (event.get("event_id") if isinstance(event, dict)
                        else getattr(event, "event_id", None))
            if event_id:
                attributes["messaging.message.id"] = str(event_id)
        elif probe.kind == "timer":
            traceparent = None  # a tick starts its own trace
        span = self.tracer.start_span(
            probe.span_name, context=tracing.parent_context(traceparent), kind=probe.span_kind,
            attributes=attributes, links=links)
        token = tracing.activate(span)
        span_context = span.get_span_context()
        if span_context.is_valid:
            worker_ctx.data[tracing.TRACEPARENT] = tracing.format_context(span_context)
        return span, token

    @staticmethod
    def _finish_span(span, probe: _Probe, outcome: str, result, exc_info) -> None:
        from opentelemetry.trace import Status, StatusCode

        status_code = getattr(result, "status_code", None) if probe.kind == "http" else None
        if status_code is not None:
            span.set_attribute("http.response.status_code", int(status_code))
            if status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("alpes.outcome", outcome)
        if exc_info is not None:
            error = exc_info[1]
            span.set_attribute("error.type", type(error).__name__)
            if outcome != metrics.REFUSED:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))

    # gauges ------------------------------------------------------------------------------
    def _refresh_forever(self) -> None:
        while True:
            self.refresh()
            eventlet.sleep(self.settings["refresh_seconds"])

    def refresh(self) -> None:
        """Refresh every gauge once (each failure counted and logged, never raised)."""
        metrics.WORKERS_RUNNING.labels(self.service).set(
            len(getattr(self.container, "_worker_threads", ())))
        database = self._database()
        if database is not None:
            self._guarded("outbox", self._refresh_outbox, database)
            for gauges in self.gauges:
                self._guarded(getattr(gauges, "__name__", "gauges"), gauges, database)
        if self._has_dead_letter_queue():
            self._guarded("dead_letter_queue", self._refresh_dead_letter_queue)

    def _guarded(self, name: str, refresh: Callable, *args) -> None:
        try:
            refresh(*args)
        except Exception as error:  # noqa: BLE001 -- a gauge never stops the service
            metrics.REFRESH_ERRORS.labels(self.service, name).inc()
            log.warning("metrics: %s refresh failed: %s", name, str(error).splitlines()[0][:200])

    def _database(self):
        from common.nameko.database import ServiceDatabase

        for dependency in self.container.dependencies:
            if isinstance(dependency, ServiceDatabase):
                return getattr(dependency, "database", None)
        return None

    def _refresh_outbox(self, database) -> None:
        backlog, oldest = outbox_state(database)
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(
            max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)

    def _has_dead_letter_queue(self) -> bool:
        return any(getattr(entrypoint, "is_reliable_event_handler", False)
                   for entrypoint in self.container.entrypoints)

    def _refresh_dead_letter_queue(self) -> None:
        from common.nameko.events import dead_letter_queue_name

        metrics.DLQ_DEPTH.labels(self.service).set(
            self._queue_depth(dead_letter_queue_name(self.service)))

    def _queue_depth(self, queue: str) -> int:
        if self._amqp is None:
            self._amqp = Connection(self.container.config[AMQP_URI_CONFIG_KEY],
                                    connect_timeout=5)
        try:
            channel = self._amqp.default_channel
            _, depth, _ = channel.queue_declare(queue=queue, passive=True)
            return int(depth)
        except Exception:
            amqp, self._amqp = self._amqp, None  # reconnect next time
            try:
                amqp.release()
            except Exception:  # noqa: BLE001
                pass
            raise


_OUTBOX = outbox_table(MetaData())
_OUTBOX_STATE = select(func.count(), func.min(_OUTBOX.c.created_at)).where(
    _OUTBOX.c.published_at.is_(None))


def outbox_state(database) -> tuple[int, Any]:
    """(unpublished rows, the oldest one's created_at or None): one indexed query."""
    with database.reader() as conn:
        count, oldest = conn.execute(_OUTBOX_STATE).one()
    if oldest is not None and isinstance(oldest, str):  # pragma: no cover - driver quirk
        from datetime import datetime

        oldest = datetime.fromisoformat(oldest)
    return int(count or 0), oldest

