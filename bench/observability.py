"""The observability row: ``tracking.record_conversion`` at c=16 with metrics and tracing
off, then on, in the same run (docs/observability.md).

*Off*: ``METRICS_ENABLED=false`` (no endpoint, no refresher, no per-worker histogram)
and no tracing. *On*: ``/metrics`` served and its gauges refreshed every second, every
worker timed, and ``TRACING_ENABLED=true`` with the OTLP/HTTP exporter batching every
span to a sink in this process (it answers 200 to each export, as a collector would):
span creation, context propagation and protobuf export are all paid. Tracking is
restarted for each mode, three times in turn (off, on, off, on...; once in a smoke run), so
drift on a shared machine falls on both; the overhead is 1 - (on / off) of the summed
throughputs, with tracking's CPU per call beside it -- also relative to commissions' and
webhooks' in the same window, which a busy machine slows as much. Tracking is restarted
as configured afterwards.
"""
from __future__ import annotations

import time
import uuid

import eventlet
from eventlet import wsgi

from bench import load
from bench.scenarios import World, _r, _require

KEY = "tracking.record_conversion c=16, metrics+tracing"
CONCURRENCY = 16
ROUNDS = 3
OFF = {"METRICS_ENABLED": "false", "TRACING_ENABLED": "false"}


def on_env(sink_port: int) -> dict:
    return {"METRICS_ENABLED": "true", "METRICS_REFRESH_SECONDS": "1",
            "TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp",
            "TRACING_ENDPOINT": f"http://127.0.0.1:{sink_port}/v1/traces",
            "TRACING_TIMERS": "true"}


class OtlpSink:
    """Accepts OTLP/HTTP exports (counts bytes and requests), answers 200 at once."""

    def __init__(self):
        self.requests = 0
        self.bytes = 0
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._thread = eventlet.spawn(wsgi.server, self._socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.requests += 1
        self.bytes += len(body)
        start_response("200 OK", [("Content-Type", "application/x-protobuf"),
                                  ("Content-Length", "0")])
        return [b""]

    def close(self) -> None:
        self._thread.kill()
        self._socket.close()


def rounds(settings) -> int:
    return 1 if settings.mode == "smoke" else ROUNDS


def plan(settings) -> list[tuple[str, float]]:
    point = settings.warmup + settings.point + 8.0  # a restart, then the point
    return [(f"{mode} (round {n})", point) for n in range(1, rounds(settings) + 1)
            for mode in ("off", "on")] + [("restart tracking as configured", 6.0)]


def _announce(env, label: str) -> None:
    progress = getattr(env, "progress", None)
    if progress is not None:
        progress.step("observability_overhead", label)


def observability_overhead(env, settings, report) -> None:
    _require(env, "partners", "campaigns", "tracking")
    world = World.get(env)
    run = uuid.uuid4().hex[:8]

    def convert(proxy, n):
        return proxy.tracking.record_conversion({
            "brand_id": world.brand_id, "order_id": f"obs-{run}-{n}-{uuid.uuid4().hex[:6]}",
            "amount": "100.00", "currency": "USD", "referral_code": world.referral_code})

    sink = OtlpSink()
    results: dict[str, list] = {"off": [], "on": []}
    try:
        for n in range(1, rounds(settings) + 1):
            for mode in ("off", "on"):
                _announce(env, f"{mode} (round {n})")
                env.stack.restart("tracking", extra_env=OFF if mode == "off" else
                                  on_env(sink.port))
                env.wait_quiet()
                results[mode].append(load.rpc_load(
                    env.config, f"{KEY} {mode}", convert, concurrency=CONCURRENCY,
                    seconds=settings.point, warmup=settings.warmup, cpu=env.cpu_seconds))
    finally:
        _announce(env, "restart tracking as configured")
        env.stack.restart("tracking")
        sink.close()
    figures = {mode: _summed(found) for mode, found in results.items()}
    for mode in ("off", "on"):
        report.add("observability", f"{KEY} {mode}", results[mode][-1],
                   rate_per_s_all_rounds=figures[mode]["rate"],
                   tracking_cpu_ms_per_call=figures[mode]["cpu"])
    off, on = figures["off"]["rate"], figures["on"]["rate"]
    report.add("observability", "metrics+tracing overhead", {
        "throughput_off_per_s": off, "throughput_on_per_s": on,
        "overhead_pct": _r(100.0 * (1 - on / off)) if off else None,
        "tracking_cpu_ms_per_call_off": figures["off"]["cpu"],
        "tracking_cpu_ms_per_call_on": figures["on"]["cpu"],
        "tracking_cpu_overhead_pct_vs_controls": _r(100.0 * (
            figures["on"]["relative"] / figures["off"]["relative"] - 1))
        if figures["on"]["relative"] and figures["off"]["relative"] else None,
        "otlp_exports": sink.requests, "otlp_bytes": sink.bytes,
        "rounds": rounds(settings),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


CONTROLS = ("commissions", "webhooks")  # same work per conversion in both modes


def _summed(found: list) -> dict:
    """Calls per second over every round of a mode; tracking's mean CPU per call, and
    that CPU relative to the controls' in the same window (a machine-wide slowdown --
    other jobs on a shared machine -- moves both and cancels out)."""
    seconds = sum(result.seconds for result in found)
    per_call = [result.extra.get("cpu_ms_per_call") or {} for result in found]
    cpus = [cpu["tracking"] for cpu in per_call if cpu.get("tracking") is not None]
    relative = [cpu["tracking"] / sum(cpu[c] for c in CONTROLS) for cpu in per_call
                if cpu.get("tracking") and all(cpu.get(c) for c in CONTROLS)]
    return {"rate": _r(sum(result.ok for result in found) / seconds) if seconds else None,
            "cpu": _r(sum(cpus) / len(cpus)) if cpus else None,
            "relative": sum(relative) / len(relative) if relative else None}
