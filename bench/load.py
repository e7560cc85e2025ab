"""Load generators: concurrent RPC callers, a paced RPC stream, raw AMQP and HTTP.

Runs under eventlet (the bench entry point monkey-patches): each concurrent caller is a
green thread with its own standalone RPC proxy (Nameko's standalone proxy is not safe
to share between threads).
"""
from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from typing import Any

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from bench.stats import LoadResult

Call = Callable[[Any, int], Any]  # (proxy, sequence number) -> result


CpuMeter = Callable[[], dict[str, float]]  # process name -> CPU seconds used so far


def rpc_load(config: dict, name: str, call: Call, *, concurrency: int, seconds: float,
             warmup: float = 0.0, timeout: float = 30.0,
             cpu: CpuMeter | None = None) -> LoadResult:
    """``concurrency`` callers call back to back for ``seconds`` (after ``warmup``).
    With ``cpu``, the result also says how many CPU milliseconds each process spent per
    successful call during the measured window (``cpu_ms_per_call``)."""
    counter = itertools.count()
    proxies = [ClusterRpcProxy(config, timeout=timeout).start() for _ in range(concurrency)]
    try:
        if warmup:
            _drive(proxies, call, counter, warmup)
        before = cpu() if cpu else {}
        result = _drive(proxies, call, counter, seconds, name=name)
        if cpu and result.ok:
            result.extra["cpu_ms_per_call"] = cpu_per_call(before, cpu(), result.ok)
        return result
    finally:
        for proxy in proxies:
            proxy_stop(proxy)


def cpu_per_call(before: dict[str, float], after: dict[str, float],
                 calls: int) -> dict[str, float]:
    """CPU milliseconds per call, by process, for the processes that did any work."""
    spent = {name: (after[name] - before.get(name, 0.0)) * 1000 / calls for name in after}
    return {name: round(ms, 2) for name, ms in spent.items() if ms >= 0.01}


def proxy_stop(proxy) -> None:
    try:
        proxy._reply_listener.stop() if hasattr(proxy, "_reply_listener") else None
    except Exception:
        pass


def _drive(proxies, call: Call, counter, seconds: float, name: str = "warmup") -> LoadResult:
    result = LoadResult(name=name, concurrency=len(proxies), seconds=seconds, ok=0, errors=0)
    deadline = time.perf_counter() + seconds

    def worker(proxy):
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                call(proxy, next(counter))
            except Exception as error:  # counted, never hidden
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{type(error).__name__}: {error}"[:300])
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.ok += 1

    began = time.perf_counter()
    pool = eventlet.GreenPool(len(proxies))
    for proxy in proxies:
        pool.spawn(worker, proxy)
    pool.waitall()
    result.seconds = time.perf_counter() - began
    return result


def paced_stream(rate_per_s: float, seconds: float, send: Callable[[int], None],
                 concurrency: int = 64) -> tuple[int, int, list[str]]:
    """Start ``send(n)`` at a steady rate (open loop). Returns (sent, errors, samples)."""
    pool = eventlet.GreenPool(concurrency)
    interval = 1.0 / rate_per_s
    total = int(rate_per_s * seconds)
    errors: list[str] = []
    sent = 0
    started = time.perf_counter()

    def one(n):
        nonlocal sent
        try:
            send(n)
            sent += 1
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}"[:300])

    for n in range(total):
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn(one, n)
    pool.waitall()
    return sent, len(errors), errors[:5]


def amqp_floor(amqp_uri: str, *, seconds: float, body_size: int = 600) -> LoadResult:
    """Raw kombu publish+consume rate through one durable queue (the messaging limit)."""
    name = f"bench-floor-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="direct", durable=False, auto_delete=True)
    queue = Queue(name, exchange=exchange, routing_key=name, durable=False, auto_delete=True)
    body = {"payload": "x" * body_size}
    consumed = 0
    stop = time.perf_counter() + seconds
    with Connection(amqp_uri) as pub_conn, Connection(amqp_uri) as sub_conn:
        queue(sub_conn.default_channel).declare()

        def on_message(_body, message):
            nonlocal consumed
            consumed += 1
            message.ack()

        def publisher():
            producer = pub_conn.Producer(serializer="json")
            while time.perf_counter() < stop:
                for _ in range(100):
                    producer.publish(body, exchange=exchange, routing_key=name)
                eventlet.sleep(0)

        started = time.perf_counter()
        thread = eventlet.spawn(publisher)
        with sub_conn.Consumer(queue, callbacks=[on_message], prefetch_count=500):
            while time.perf_counter() < stop + 1.0:
                try:
                    sub_conn.drain_events(timeout=0.2)
                except OSError:
                    if thread.dead and time.perf_counter() > stop:
                        break
        thread.wait()
        elapsed = min(time.perf_counter(), stop) - started
    return LoadResult(name="amqp publish+consume", concurrency=1, seconds=elapsed,
                      ok=consumed, errors=0)


def http_load(url: str, *, concurrency: int, seconds: float, name: str,
              expect: tuple[int, ...] = (200,)) -> LoadResult:
    """wrk when installed (not the bottleneck), else green threads with keep-alive."""
    if shutil.which("wrk"):
        return _wrk(url, concurrency, seconds, name)
    return _python_http(url, concurrency, seconds, name, expect)


_WRK_LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, concurrency: int, seconds: float, name: str) -> LoadResult:
    threads = min(2, concurrency)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", "--latency",
         url], capture_output=True, text=True, timeout=seconds + 60).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    duration = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    percentiles = {q: float(v) * _UNITS[u] for q, v, u in _WRK_LATENCY.findall(out)}
    result = LoadResult(name=name, concurrency=concurrency, seconds=duration,
                        ok=requests - errors, errors=errors, extra={"tool": "wrk"})
    result.extra.update({"wrk_p50_ms": percentiles.get("50"), "wrk_p99_ms": percentiles.get("99")})
    return result


def _python_http(url: str, concurrency: int, seconds: float, name: str,
                 expect: tuple[int, ...]) -> LoadResult:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    result = LoadResult(name=name, concurrency=concurrency, seconds=seconds, ok=0, errors=0,
                        extra={"tool": "python"})
    deadline = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status not in expect:
                    raise RuntimeError(f"HTTP {response.status}")
            except Exception as error:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{type(error).__name__}: {error}"[:200])
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.ok += 1
        conn.close()

    began = time.perf_counter()
    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(worker)
    pool.waitall()
    result.seconds = time.perf_counter() - began
    return result
