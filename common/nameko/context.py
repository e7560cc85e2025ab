"""Correlation ids: enter at the edge, follow every RPC call, event and log line.

The id travels in Nameko's context data (``nameko.correlation_id`` header), which Nameko
already copies from an incoming RPC/event into every RPC the worker makes. A worker
that arrives without one gets a new one. Log records carry it as ``%(correlation_id)s``
through :class:`CorrelationFilter` (configured in config.yaml's LOGGING section), with
the current span's ``%(trace_id)s`` and ``%(span_id)s`` when tracing is on.
"""
from __future__ import annotations

import logging
import threading
import uuid

from nameko.extensions import DependencyProvider

from common.nameko import tracing

CORRELATION_KEY = "correlation_id"

_local = threading.local()  # green-thread local once eventlet has patched threading


def ensure_correlation_id(worker_ctx) -> str:
    correlation_id = worker_ctx.data.get(CORRELATION_KEY)
    if not correlation_id:
        correlation_id = str(uuid.uuid4())
        worker_ctx.data[CORRELATION_KEY] = correlation_id
    return correlation_id


def causation_id(worker_ctx) -> str:
    """The id of the message this worker handles: the event id, or the RPC call's uuid."""
    if worker_ctx.args and isinstance(worker_ctx.args[0], dict):
        event_id = worker_ctx.args[0].get("event_id")
        if event_id and getattr(worker_ctx.entrypoint, "is_reliable_event_handler", False):
            return str(event_id)
    return worker_ctx.call_id.rsplit(".", 1)[-1]


def current_correlation_id() -> str | None:
    return getattr(_local, "correlation_id", None)


def bind(worker_ctx) -> None:
    _local.correlation_id = ensure_correlation_id(worker_ctx)


def unbind() -> None:
    _local.correlation_id = None


class CorrelationId(DependencyProvider):
    """Injects the worker's correlation id and binds it for log records."""

    def get_dependency(self, worker_ctx):
        return ensure_correlation_id(worker_ctx)

    def worker_setup(self, worker_ctx):
        bind(worker_ctx)

    def worker_teardown(self, worker_ctx):
        unbind()


class CorrelationFilter(logging.Filter):
    """Every record gets ``correlation_id`` (``-`` outside a worker) and the current
    span's ``trace_id`` and ``span_id`` (None when tracing is off or outside a span)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = current_correlation_id() or "-"
        if not hasattr(record, "trace_id"):
            record.trace_id, record.span_id = tracing.current_ids()
        return True
