"""Load generators: concurrent RPC callers, a paced RPC stream, raw AMQP and HTTP.

Runs under eventlet (the bench entry point monkey-patches): each concurrent caller is a
green thread with its own standalone RPC proxy (Nameko's standalone proxy is not safe
to share between threads).
"""
from __future__ import annotations

import itertools
import os
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
# (sequence number) -> (method, path, headers, body bytes or None)
HttpRequest = Callable[[int], tuple[str, str, dict, bytes | None]]


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


def rpc_paced(config: dict, name: str, call: Call, *, rate: float, seconds: float,
              warmup: float = 0.0, timeout: float = 30.0, cpu: CpuMeter | None = None,
              callers: int = 32) -> LoadResult:
    """Calls started at a steady ``rate`` per second for ``seconds`` (open loop: a call
    starts on schedule whether or not the previous ones have answered), after
    ``warmup`` seconds at the same rate; ``callers`` proxies shared by the calls in
    flight. Latency is measured from each call's start. With ``cpu``, the CPU ms each
    process spent per successful call (``cpu_ms_per_call``): at a rate every process
    keeps up with, what one call costs without the batching a saturated run gets."""
    counter = itertools.count()
    proxies = eventlet.queue.LightQueue()
    clients = [ClusterRpcProxy(config, timeout=timeout) for _ in range(callers)]
    for client in clients:
        proxies.put(client.start())
    latencies: list[float] = []

    def send(_n):
        proxy = proxies.get()
        try:
            started = time.perf_counter()
            call(proxy, next(counter))
            latencies.append((time.perf_counter() - started) * 1000)
        finally:
            proxies.put(proxy)

    try:
        if warmup:
            paced_stream(rate, warmup, send)
        latencies.clear()
        before = cpu() if cpu else {}
        began = time.perf_counter()
        sent, errors, samples = paced_stream(rate, seconds, send)
        result = LoadResult(name=name, concurrency=callers, seconds=time.perf_counter() - began,
                            ok=sent, errors=errors, latencies_ms=latencies,
                            error_samples=samples, extra={"open_loop_rate": rate})
        if cpu and sent:
            result.extra["cpu_ms_per_call"] = cpu_per_call(before, cpu(), sent)
        return result
    finally:
        for client in clients:
            client.stop()


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
              expect: tuple[int, ...] = (200,), cpu: CpuMeter | None = None) -> LoadResult:
    """wrk when installed (not the bottleneck), else green threads with keep-alive.
    With ``cpu``, CPU ms per request by process (wrk's own as ``wrk``)."""
    before = cpu() if cpu else {}
    children = _children_cpu_seconds()
    if shutil.which("wrk"):
        result = _wrk(url, concurrency, seconds, name)
    else:
        result = _python_http(url, concurrency, seconds, name, expect)
    if cpu and result.ok:
        after = cpu()
        if result.extra.get("tool") == "wrk":
            after["wrk"] = _children_cpu_seconds() - children
        result.extra["cpu_ms_per_call"] = cpu_per_call(before, after, result.ok)
    return result


def _children_cpu_seconds() -> float:
    """CPU of this process's finished children (wrk is run to completion)."""
    times = os.times()
    return times.children_user + times.children_system


def http_requests(base: str, request: HttpRequest, *, concurrency: int, seconds: float,
                  name: str, expect: tuple[int, ...] = (200,), warmup: float = 0.0,
                  cpu: CpuMeter | None = None) -> LoadResult:
    """``concurrency`` keep-alive clients send ``request(n)`` back to back for
    ``seconds`` (after ``warmup``): any method, headers and body (wrk would need a
    script per request shape)."""
    counter = itertools.count()
    if warmup:
        _http_drive(base, request, counter, concurrency, warmup, "warmup", expect)
    before = cpu() if cpu else {}
    result = _http_drive(base, request, counter, concurrency, seconds, name, expect)
    if cpu and result.ok:
        result.extra["cpu_ms_per_call"] = cpu_per_call(before, cpu(), result.ok)
    return result


def http_paced(base: str, request: HttpRequest, *, rate: float, seconds: float, name: str,
               expect: tuple[int, ...] = (200,), warmup: float = 0.0,
               cpu: CpuMeter | None = None, connections: int = 16) -> LoadResult:
    """Requests started at a steady ``rate`` per second (open loop) over a pool of
    ``connections`` keep-alive connections."""
    counter = itertools.count()
    pool = eventlet.queue.LightQueue()
    for _ in range(connections):
        pool.put(_connect(base))
    latencies: list[float] = []

    def send(_n):
        conn = pool.get()
        try:
            started = time.perf_counter()
            _http_once(conn, request(next(counter)), expect)
            latencies.append((time.perf_counter() - started) * 1000)
        finally:
            pool.put(conn)

    if warmup:
        paced_stream(rate, warmup, send)
    latencies.clear()
    before = cpu() if cpu else {}
    began = time.perf_counter()
    sent, errors, samples = paced_stream(rate, seconds, send)
    result = LoadResult(name=name, concurrency=connections,
                        seconds=time.perf_counter() - began, ok=sent, errors=errors,
                        latencies_ms=latencies, error_samples=samples,
                        extra={"tool": "python", "open_loop_rate": rate})
    if cpu and sent:
        result.extra["cpu_ms_per_call"] = cpu_per_call(before, cpu(), sent)
    while not pool.empty():
        pool.get().close()
    return result


def _connect(base: str):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def _http_once(conn, request: tuple[str, str, dict, bytes | None],
               expect: tuple[int, ...]) -> None:
    """Send one request on ``conn`` and read the answer; raises on a transport error
    (having closed ``conn``: its next request reconnects) or an unexpected status."""
    method, path, headers, body = request
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    except Exception:
        conn.close()
        raise
    if response.status not in expect:
        raise RuntimeError(f"HTTP {response.status}: {payload[:160]!r}")


def _http_drive(base: str, request: HttpRequest, counter, concurrency: int, seconds: float,
                name: str, expect: tuple[int, ...]) -> LoadResult:
    result = LoadResult(name=name, concurrency=concurrency, seconds=seconds, ok=0, errors=0,
                        extra={"tool": "python"})
    deadline = time.perf_counter() + seconds

    def worker():
        conn = _connect(base)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                _http_once(conn, request(next(counter)), expect)
            except Exception as error:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{type(error).__name__}: {error}"[:200])
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
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return _http_drive(f"{parts.scheme}://{parts.netloc}", lambda n: ("GET", path, {}, None),
                       itertools.count(), concurrency, seconds, name, expect)
