"""OpenTelemetry traces: one tracer provider per service container, W3C trace context.

Off by default (config.yaml ``TRACING.enabled``): then no span is ever created and
nothing here runs per message. On, every worker is a span (``Observability``,
common/nameko/observability.py) and the trace follows the work:

* **RPC**: the worker's span goes into its context data as ``traceparent`` (W3C
  format), which Nameko copies into every RPC the worker makes (``nameko.traceparent``
  header); ``RpcClient`` wraps each call in a CLIENT span and sends *its* context; the
  serving worker's span is that span's child.
* **Events**: the unit of work writes the producing worker's ``traceparent`` into every
  integration event's envelope, so it is stored in the outbox with the event. The
  consuming worker's span is a child of it **and** links to it -- the same whether the
  relay published the event at once or a sweep published it minutes later, after a
  crash between commit and publish.
* **HTTP**: the BFF reads ``traceparent`` from the request (a caller's trace goes on)
  and answers with the ``traceparent`` of its server span.

Exporters: ``otlp`` (OTLP over HTTP/protobuf to ``TRACING.endpoint``, batched),
``console`` (stdout, for a look), ``memory`` (an in-process ``InMemorySpanExporter``,
``memory_exporter()``: the tests read spans from it).
"""
from __future__ import annotations

import logging
import re
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from common.nameko.config import flag

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"  # context data key, envelope field and HTTP header
DEFAULTS = {"enabled": False, "exporter": "otlp", "endpoint": "", "sample_ratio": 1.0,
            "timers": True}
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_MEMORY = None

SERVER, CLIENT, CONSUMER, INTERNAL = (SpanKind.SERVER, SpanKind.CLIENT, SpanKind.CONSUMER,
                                      SpanKind.INTERNAL)


def settings(config: dict) -> dict[str, Any]:
    found = {**DEFAULTS, **(config.get("TRACING") or {})}
    found["enabled"] = flag(found["enabled"])
    found["timers"] = flag(found["timers"])
    found["sample_ratio"] = float(found["sample_ratio"] or 0)
    return found


def memory_exporter():
    """The process's in-memory exporter (``TRACING.exporter: memory``)."""
    global _MEMORY
    if _MEMORY is None:
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )

        _MEMORY = InMemorySpanExporter()
    return _MEMORY


def provider_for(config: dict, service_name: str):
    """A tracer provider for one service (its ``service.name``), or None when off."""
    found = settings(config)
    if not found["enabled"]:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name,
                                  "service.namespace": "alpes-partners"}),
        sampler=ParentBased(TraceIdRatioBased(found["sample_ratio"])))
    exporter = str(found["exporter"] or "otlp").strip().lower()
    if exporter == "memory":
        provider.add_span_processor(_SharedMemory(memory_exporter()))
    elif exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = found["endpoint"] or None  # None: OTEL_EXPORTER_OTLP_* or localhost:4318
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    else:
        raise ValueError(f"TRACING.exporter {exporter!r}: use otlp, console or memory")
    return provider


def _SharedMemory(exporter):  # noqa: N802 -- a processor class, built on first use
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    class SharedMemoryProcessor(SimpleSpanProcessor):
        """Exports to the process's one in-memory exporter, which a stopping container
        must not shut down for the others (and the next test)."""

        def shutdown(self) -> None:
            self._shutdown = True

    return SharedMemoryProcessor(exporter)


# W3C trace context ----------------------------------------------------------------------
def parse(traceparent: Any) -> SpanContext | None:
    """The remote span context a ``traceparent`` names; None when absent or malformed."""
    if not isinstance(traceparent, str):
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, span_id = int(match.group(2), 16), int(match.group(3), 16)
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True,
                       trace_flags=TraceFlags(int(match.group(4), 16) & 0x01))


def well_formed(traceparent: Any) -> str | None:
    """``traceparent`` itself when it parses (what the BFF accepts from a caller)."""
    return traceparent.strip().lower() if parse(traceparent) is not None else None


def format_context(span_context: SpanContext) -> str:
    return (f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-"
            f"{int(span_context.trace_flags):02x}")


def parent_context(traceparent: Any):
    """An OpenTelemetry context whose current span is the remote parent (or None)."""
    remote = parse(traceparent)
    if remote is None:
        return None
    return trace.set_span_in_context(NonRecordingSpan(remote))


def links_to(traceparent: Any) -> list[Link]:
    remote = parse(traceparent)
    return [Link(remote, {"alpes.link": "producer"})] if remote is not None else []


def current_traceparent() -> str | None:
    """The current span's ``traceparent``: None outside a span (or with tracing off)."""
    span_context = trace.get_current_span().get_span_context()
    return format_context(span_context) if span_context.is_valid else None


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) in hex of the current span, for log lines."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


def activate(span):
    """Make ``span`` current in this green thread; returns the token for ``deactivate``."""
    return otel_context.attach(trace.set_span_in_context(span))


def deactivate(token) -> None:
    try:
        otel_context.detach(token)
    except Exception:  # noqa: BLE001 -- another green thread's token: nothing to undo
        pass
