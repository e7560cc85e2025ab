"""The benchmark scenarios, in the order they run, their plan and the targets.

Each takes (environment, settings, report). A scenario whose services are not part of
the platform yet raises NotMeasurable, which the report shows as "not measured". Each
announces its points as it reaches them (``_step``: the progress display); ``plan``
lists the same points up front with the seconds each is expected to take.

CPU per call: every RPC and HTTP point records the CPU milliseconds each process spent
per successful call (``cpu_ms_per_call``), and -- where the row has a service of its own
-- that service's share (``service_cpu_ms``) and the platform's sum
(``platform_cpu_ms``: every service process, not the load client nor the floors), each
also as a ratio to the write floor measured the same way (same concurrency, or the same
open-loop rate).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import uuid
from typing import Any

import eventlet
import requests
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from bench import load
from bench.environment import ECHO_FLOOR, WRITE_FLOOR, platform_processes
from bench.progress import Step
from bench.stats import percentile, ratio

ECHO_PAYLOAD = {"name": "Ana", "email": "ana@example.com", "type": "influencer",
                "country": "ES"}
SETUP_OVERHEAD_S = 0.5  # a point's proxies and connections, before its clock starts


class NotMeasurable(Exception):
    """The scenario cannot run on this platform (a service it needs is missing)."""


def _require(env, *services: str) -> None:
    missing = [s for s in services if s not in env.services]
    if missing:
        raise NotMeasurable(f"needs service(s) not in the platform yet: {', '.join(missing)}")


def _step(env, group: str, label: str) -> None:
    """The progress display's next step (a no-op without one)."""
    progress = getattr(env, "progress", None)
    if progress is not None:
        progress.step(group, label)


def open_loop_key(what: str, rate: float) -> str:
    return f"{what} @{rate:g}/s open loop"


def _cpu_figures(env, result, service: str | None, floor: dict | None, *,
                 platform: bool = True) -> dict:
    """A row's CPU per call by process, net of what each process burns at rest (its
    timers, sweeps and heartbeats: ``env.idle_cpu``, measured once at the start), with
    the row's own service and the platform's sum, and their ratios to the write floor's
    own CPU measured the same way (``floor``). The measured figures stay in the JSON as
    ``cpu_ms_per_call_gross``."""
    summary = result.summary() if hasattr(result, "summary") else result
    gross = summary.get("cpu_ms_per_call") or {}
    if not gross:
        return {}
    idle = getattr(env, "idle_cpu", None) or {}
    cpu = net_of_idle(gross, idle, summary.get("seconds") or 0.0, summary.get("ok") or 0)
    figures: dict[str, Any] = {"cpu_ms_per_call": cpu, "cpu_ms_per_call_gross": gross}
    if platform:
        figures["platform_cpu_ms"] = round(sum(platform_processes(cpu).values()), 2)
    if service is not None:
        figures.update(service=service, service_cpu_ms=cpu.get(service, 0.0))
    write_floor = (floor or {}).get("service_cpu_ms")
    if write_floor:
        if service is not None:
            figures["service_cpu_ratio"] = ratio(figures["service_cpu_ms"], write_floor)
        if platform:
            figures["platform_cpu_ratio"] = ratio(figures["platform_cpu_ms"], write_floor)
    return figures


def net_of_idle(gross: dict[str, float], idle_ms_per_s: dict[str, float], seconds: float,
                calls: int) -> dict[str, float]:
    """CPU ms per call by process, less each process's CPU at rest over the same window
    (processes left with less than 0.01 ms per call are dropped, as in ``cpu_per_call``)."""
    if not idle_ms_per_s or not calls:
        return dict(gross)
    net = {name: round(ms - idle_ms_per_s.get(name, 0.0) * seconds / calls, 2)
           for name, ms in gross.items()}
    return {name: ms for name, ms in net.items() if ms >= 0.01}


# --- the platform at rest ---------------------------------------------------------------------
AT_REST = "platform at rest (cpu ms/s)"
AT_REST_STEP = ("platform", "CPU at rest")


def at_rest(env, settings, report) -> None:
    """What each process burns with nothing to do, over a quiet stretch: subtracted from
    every point's CPU per call (run once, before the scenarios)."""
    env.wait_quiet()
    before = env.cpu_seconds()
    began = time.perf_counter()
    eventlet.sleep(settings.at_rest_seconds)
    elapsed = time.perf_counter() - began
    after = env.cpu_seconds()
    env.idle_cpu = {name: round((after[name] - before.get(name, 0.0)) * 1000 / elapsed, 2)
                    for name in after}
    report.add("floor", AT_REST, {"seconds": round(elapsed, 1), "errors": 0,
                                  "cpu_ms_per_s": {name: ms for name, ms in env.idle_cpu.items()
                                                   if ms > 0}})


def at_rest_seconds(settings) -> float:
    return settings.quiet_window + 1.0 + settings.at_rest_seconds


# --- floors -------------------------------------------------------------------------------
AMQP_FLOOR = "amqp publish+consume (kombu)"
HELLO_FLOOR = "http hello c=16"
FLOOR_SERVICES = {"echo": ECHO_FLOOR, "write": WRITE_FLOOR}


def floors(env, settings, report) -> None:
    """Raw AMQP; the bare Nameko ``@rpc`` echo and the RPC + one durable write, closed
    loop at each concurrency and open loop at ``settings.open_loop_rate``; the bare
    ``@http`` hello."""
    _step(env, "floors", AMQP_FLOOR)
    report.add("floor", AMQP_FLOOR, load.amqp_floor(env.amqp_uri, seconds=settings.point))
    config = env.config
    calls = {"echo": lambda proxy, n: proxy.bench_echo.echo(ECHO_PAYLOAD),
             "write": lambda proxy, n: proxy.bench_write.write(ECHO_PAYLOAD)}
    for floor, call in calls.items():
        service = FLOOR_SERVICES[floor]
        for concurrency in (1, *settings.concurrencies):
            key = f"rpc {floor} c={concurrency}"
            _step(env, "floors", key)
            result = load.rpc_load(config, key, call, concurrency=concurrency,
                                   seconds=settings.point, warmup=settings.warmup,
                                   cpu=env.cpu_seconds)
            echo = report.sections["floor"].get(f"rpc echo c={concurrency}", {})
            report.add("floor", key, result, **_cpu_figures(env, result, service, None,
                                                           platform=False),
                       **({"ratio": ratio(result.rate, echo.get("rate_per_s"))}
                          if floor == "write" else {}))
        key = open_loop_key(f"rpc {floor}", settings.open_loop_rate)
        _step(env, "floors", key)
        result = load.rpc_paced(config, key, call, rate=settings.open_loop_rate,
                                seconds=settings.point, warmup=settings.warmup,
                                cpu=env.cpu_seconds)
        report.add("floor", key, result,
                   **_cpu_figures(env, result, service, None, platform=False))
    _step(env, "floors", HELLO_FLOOR)
    _wait_http(f"http://{env.echo_http}/hello")
    hello = load.http_load(f"http://{env.echo_http}/hello", concurrency=16,
                           seconds=settings.point, name="http hello", cpu=env.cpu_seconds)
    report.add("floor", HELLO_FLOOR, hello,
               **_cpu_figures(env, hello, ECHO_FLOOR, None, platform=False))


def _plan_floors(settings) -> list[tuple[str, float]]:
    point = settings.warmup + settings.point + SETUP_OVERHEAD_S
    steps = [(AMQP_FLOOR, settings.point + 1.0)]
    for floor in FLOOR_SERVICES:
        steps += [(f"rpc {floor} c={c}", point) for c in (1, *settings.concurrencies)]
        steps.append((open_loop_key(f"rpc {floor}", settings.open_loop_rate), point))
    return steps + [(HELLO_FLOOR, max(1.0, settings.point) + 1.0)]


def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


# --- commands -----------------------------------------------------------------------------
REGISTER = "partners.register_partner"
CONVERT = "tracking.record_conversion"
WORLD_STEP = "world: brand, CPS campaign, enrolled partner"


def partner_commands(env, settings, report) -> None:
    _require(env, "partners")
    run = uuid.uuid4().hex[:8]

    def register(proxy, n):
        return proxy.partners.register_partner(
            {**ECHO_PAYLOAD, "email": f"bench-{run}-{n}-{uuid.uuid4().hex[:8]}@example.com"})

    _command_points(env, settings, report, REGISTER, register)


def conversion_commands(env, settings, report) -> None:
    _require(env, "partners", "campaigns", "tracking")
    _step(env, "conversion_commands", WORLD_STEP)
    world = World.get(env)
    run = uuid.uuid4().hex[:8]

    def convert(proxy, n):
        return proxy.tracking.record_conversion({
            "brand_id": world.brand_id, "order_id": f"bench-{run}-{n}-{uuid.uuid4().hex[:6]}",
            "amount": "100.00",
            "currency": "USD", "referral_code": world.referral_code})

    _command_points(env, settings, report, CONVERT, convert)
    _conversion_instances(env, settings, report, convert)


def _command_points(env, settings, report, name, call) -> None:
    """Latency at c=1, throughput at each concurrency (ratio to the echo floor), and an
    open-loop point at the floors' rate: the CPU a call costs its own service (and the
    platform) when nothing is saturated, as a ratio to the write floor's."""
    config = env.config
    group = _GROUPS[name]
    service = name.split(".")[0]
    floors = report.sections.get("floor", {})
    _step(env, group, f"{name} c=1")
    single = load.rpc_load(config, f"{name} c=1", call, concurrency=1,
                           seconds=settings.point, warmup=settings.warmup, cpu=env.cpu_seconds)
    echo_single = floors.get("rpc echo c=1", {})
    report.add("commands", f"{name} c=1", single,
               latency_ratio_p50=ratio(single.summary()["p50_ms"], echo_single.get("p50_ms")),
               **_cpu_figures(env, single, service, floors.get("rpc write c=1")))
    for concurrency in settings.concurrencies:
        key = f"{name} c={concurrency}"
        _step(env, group, key)
        env.wait_quiet()  # the previous point's downstream backlog is not this point's
        result = load.rpc_load(config, key, call, concurrency=concurrency,
                               seconds=settings.point, warmup=settings.warmup,
                               cpu=env.cpu_seconds)
        echo = floors.get(f"rpc echo c={concurrency}", {})
        report.add("commands", key, result, ratio=ratio(result.rate, echo.get("rate_per_s")),
                   **_cpu_figures(env, result, service, floors.get(f"rpc write c={concurrency}")))
    key = open_loop_key(name, settings.open_loop_rate)
    _step(env, group, key)
    env.wait_quiet()
    result = load.rpc_paced(config, key, call, rate=settings.open_loop_rate,
                            seconds=settings.point, warmup=settings.warmup, cpu=env.cpu_seconds)
    floor = floors.get(open_loop_key("rpc write", settings.open_loop_rate))
    report.add("commands", key, result, **_cpu_figures(env, result, service, floor))


_GROUPS = {REGISTER: "partner_commands", CONVERT: "conversion_commands"}


def _plan_commands(name: str):
    def plan(settings) -> list[tuple[str, float]]:
        point = settings.warmup + settings.point + SETUP_OVERHEAD_S
        drained = point + settings.quiet_window + 1.0
        steps = [(WORLD_STEP, 4.0)] if name == CONVERT else []
        steps.append((f"{name} c=1", point))
        steps += [(f"{name} c={c}", drained) for c in settings.concurrencies]
        steps.append((open_loop_key(name, settings.open_loop_rate), drained))
        if name == CONVERT:
            concurrency = settings.concurrencies[0]
            steps += [(convert_instances_key(concurrency, 1), drained),
                      (CONVERT_SECOND, SECOND_START_S),
                      (convert_instances_key(concurrency, 2), drained)]
        return steps
    return plan


# --- 1 vs 2 instances of the conversion path (PostgreSQL only) -----------------------------
CONVERT_SCALED = ("tracking", "commissions")  # the command's service and its consumer
CONVERT_SECOND = "start second instances of tracking and commissions"
SECOND_START_S = 12.0  # `nameko run` starting on a busy machine, then ready (measured)


def convert_instances_key(concurrency: int, instances: int) -> str:
    return f"{CONVERT} c={concurrency}, {instances} instance{'s' if instances > 1 else ''}"


def _conversion_instances(env, settings, report, convert) -> None:
    """``record_conversion`` closed loop at the first concurrency (16 in full) with one
    instance of tracking and of commissions (which consumes each conversion in the same
    window), then with two of each: the same callers, warm-up and length, each point
    after empty queues. The two rows are measured back to back (not the ``commands`` row
    measured earlier) so that nothing else differs between them."""
    if env.db == "sqlite":  # SQLite serves one instance per service: PostgreSQL for more
        report.skipped["conversion_commands, 2 instances"] = \
            "SQLite runs one instance per service (--db postgres)"
        return
    concurrency = settings.concurrencies[0]

    def point(instances: int):
        key = convert_instances_key(concurrency, instances)
        _step(env, "conversion_commands", key)
        env.wait_quiet()
        result = load.rpc_load(env.config, key, convert, concurrency=concurrency,
                               seconds=settings.point, warmup=settings.warmup,
                               cpu=env.cpu_seconds)
        return key, result, _cpu_figures(env, result, None, None)

    key, one, one_cpu = point(1)
    report.add("instances", key, one, instances={s: 1 for s in CONVERT_SCALED},
               cores_used=cores_used(one), **one_cpu)
    _step(env, "conversion_commands", CONVERT_SECOND)
    with second_instances(env, *CONVERT_SCALED):
        key, two, two_cpu = point(2)
    first = report.sections["instances"][convert_instances_key(concurrency, 1)]
    report.add("instances", key, two, instances={s: 2 for s in CONVERT_SCALED},
               cores_used=cores_used(two), **two_cpu,
               **versus_one_instance(two.summary(), two_cpu, first), note=cores_note())


@contextlib.contextmanager
def second_instances(env, *services: str):
    """A second instance of each service (``<service>_2``) for the block: competing
    consumers on the same queues and database, with their own metrics port. Its CPU at
    rest is taken to be the first instance's (same code, same timers: it did not run
    when that was measured). Stopped and taken out of the stack afterwards, whatever
    happens in the block."""
    idle = getattr(env, "idle_cpu", None)
    added = []
    try:
        for service in services:
            name = f"{service}_2"
            process = env.stack.add(name, f"services.{service}.service", rpc_name=service,
                                    env=env.stack._instance_env(service, 2))
            added.append(name)
            process.start()
            if idle is not None and service in idle:
                idle[name] = idle[service]
        env.stack.wait_ready(added, timeout=90)  # health, and every instance consuming
        yield
    finally:
        for name in added:
            env.stack.processes.pop(name).stop()
            if idle is not None:
                idle.pop(name, None)


def versus_one_instance(two: dict, two_cpu: dict, one: dict, rate: str = "rate_per_s") -> dict:
    """The 2-instance row's ratios to the 1-instance row: ``ratio`` is the throughput's
    (2 instances / 1), ``vs_1_instance`` adds the latencies' and the platform CPU per
    call's."""
    return {"ratio": ratio(two.get(rate), one.get(rate)),
            "vs_1_instance": {
                "rate": ratio(two.get(rate), one.get(rate)),
                "p50_ms": ratio(two.get("p50_ms"), one.get("p50_ms")),
                "p99_ms": ratio(two.get("p99_ms"), one.get("p99_ms")),
                "platform_cpu_ms": ratio(two_cpu.get("platform_cpu_ms"),
                                         one.get("platform_cpu_ms"))}}


def cores_used(result) -> dict[str, float]:
    """Cores each process kept busy during the point (its CPU as measured, at rest
    included): whether one instance was CPU-bound, which is what a second one on the
    same cores cannot relieve."""
    summary = result.summary() if hasattr(result, "summary") else result
    seconds, ok = summary.get("seconds") or 0.0, summary.get("ok") or 0
    if not seconds:
        return {}
    return {name: round(ms * ok / seconds / 1000, 2)
            for name, ms in (summary.get("cpu_ms_per_call") or {}).items()}


def cores_note(cores: int | None = None) -> str:
    """What a 2-instance ratio can show on this machine (printed under the row)."""
    cores = cores or os.cpu_count() or 1
    shared = f"{cores} cores, shared by both instances and everything else"
    if cores <= 2:
        return (f"{shared}: a ratio near 1 is expected once one instance is CPU-bound "
                f"(above 1: it was waiting, not computing; cores_used in the JSON)")
    return f"{shared}: instances scale while each has a core free (cores_used in the JSON)"


# --- the platform's own world: a brand, a CPS campaign, an enrolled partner ----------------
class World:
    _cache: dict[str, "World"] = {}

    def __init__(self, brand_id: str, campaign_id: str, partner_id: str, referral_code: str):
        self.brand_id, self.campaign_id = brand_id, campaign_id
        self.partner_id, self.referral_code = partner_id, referral_code

    @classmethod
    def get(cls, env) -> "World":
        if env.run_id not in cls._cache:
            cls._cache[env.run_id] = cls._build(env.config)
        return cls._cache[env.run_id]

    @classmethod
    def _build(cls, config) -> "World":
        with ClusterRpcProxy(config, timeout=30) as rpc:
            partner = rpc.partners.register_partner({
                **ECHO_PAYLOAD, "email": f"world-{uuid.uuid4().hex[:8]}@example.com",
                "payout_method": {"type": "paypal", "email": "world@example.com"}})
            partner_id = partner["partner_id"]
            rpc.partners.verify_partner(partner_id)
            rpc.partners.activate_partner(partner_id)
            brand_id = rpc.campaigns.register_brand({"name": "Bench", "currency": "USD"})[
                "brand_id"]
            campaign = rpc.campaigns.create_campaign({
                "brand_id": brand_id, "name": "Bench CPS", "currency": "USD",
                "budget": {"amount": "1000000000.00", "currency": "USD"},
                "landing_url": "https://shop.example.com/landing",
                "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                          "hold_days": 0}})
            campaign_id = campaign["campaign_id"]
            rpc.campaigns.activate_campaign(campaign_id, brand_id)
            code = _wait_for_enrollment(rpc, campaign_id, partner_id)
            _wait_until(lambda: _tracking_knows(rpc, code), "tracking to learn the code")
        return cls(brand_id, campaign_id, partner_id, code)


def _wait_for_enrollment(rpc, campaign_id, partner_id) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            return rpc.campaigns.enroll_partner(campaign_id, partner_id)["referral_code"]
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)  # the partner's activation is still travelling to campaigns


def _tracking_knows(rpc, code) -> bool:
    try:
        rpc.tracking.record_click({"referral_code": code, "ip": "203.0.113.9",
                                   "user_agent": "bench"})
        return True
    except Exception:
        return False


def _wait_until(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


# --- event chain: conversion -> commission visible ----------------------------------------
CHAIN_TARGETS = {100.0: 100.0, 150.0: 250.0}  # conversions/s -> p99 ms it must stay under
CHAIN_CPU_RATE = 100.0  # the point whose CPU per conversion is judged
CHAIN_SETTLE_S = 15.0   # a late commission is waited for while others keep arriving


def event_chain(env, settings, report) -> None:
    """``settings.chain_rates`` in order: first a rate the pipeline has headroom for (the
    latency of the chain itself, not a queue's; measured first so a backlog cannot leak
    into it), then the targets' rates."""
    _require(env, "partners", "campaigns", "tracking", "commissions")
    for rate in settings.chain_rates:  # each point ends once its queues are quiet again
        _step(env, "event_chain", chain_key(rate))
        report.add("chain", chain_key(rate), _chain_point(env, rate, settings.chain_seconds))


def chain_key(rate: float) -> str:
    return f"conversion -> commission @ {rate:g}/s"


def _plan_chain(settings) -> list[tuple[str, float]]:
    steps = []
    for rate in settings.chain_rates:
        # past ~60/s the chain falls behind on 2 cores: its backlog drains after the sends
        backlog = max(0.0, rate - 60.0) / 60.0 * settings.chain_seconds
        steps.append((chain_key(rate), settings.chain_seconds + backlog
                      + settings.quiet_window + 2.0))
    return steps


def _chain_point(env, rate: float, seconds: float) -> dict:
    """Conversions sent at ``rate`` for ``seconds``; each one's time to its
    ``commission_created``. The rate reported is the one the sends started at (a load
    client falling behind shows). CPU per conversion: from the first send until the
    platform's queues are quiet again (every consumer's share of the work is billed, the
    timers' too), net of what the processes burn at rest over that window."""
    world = World.get(env)
    config = env.config
    sent_at: dict[str, float] = {}
    starts: list[float] = []
    probe = _EventTimer(env.amqp_uri, "commissions", "commission_created")
    run = uuid.uuid4().hex[:8]
    clients = [ClusterRpcProxy(config, timeout=30) for _ in range(64)]
    proxies = eventlet.queue.LightQueue()
    for client in clients:
        proxies.put(client.start())

    def send(n):
        proxy = proxies.get()
        try:
            started = time.perf_counter()
            starts.append(started)
            result = proxy.tracking.record_conversion({
                "brand_id": world.brand_id, "order_id": f"chain-{run}-{n}", "amount": "50.00",
                "currency": "USD", "referral_code": world.referral_code})
            sent_at[result["conversion_id"]] = started
        finally:
            proxies.put(proxy)

    probe.start()
    before = env.cpu_seconds()
    began = time.perf_counter()
    sent, errors, samples = load.paced_stream(rate, seconds, send)
    _await_arrivals(probe, sent_at)
    probe.stop()
    seen_ms = probe.latencies_ms(sent_at)
    for client in clients:
        client.stop()
    env.wait_quiet()
    window = time.perf_counter() - began
    cpu = load.cpu_per_call(before, env.cpu_seconds(), sent) if sent else {}
    sample = list(probe.commission_ids.values())[:20]
    visible = _confirm_visible(config, sample)
    latencies = list(seen_ms.values())
    lost = len(sent_at) - len(seen_ms)
    return {
        "rate_per_s": _launch_rate(starts, rate), "target_rate_per_s": rate, "sent": sent,
        "errors": errors + lost + (len(sample) - visible), "checked_visible": visible,
        "not_seen": lost, "p50_ms": _r(percentile(latencies, 50)),
        "p95_ms": _r(percentile(latencies, 95)), "p99_ms": _r(percentile(latencies, 99)),
        "error_samples": samples, "cpu_window_s": round(window, 1),
        **_cpu_figures(env, {"cpu_ms_per_call": cpu, "seconds": window, "ok": sent},
                       None, None)}


def _launch_rate(starts: list[float], rate: float) -> float:
    """Calls per second as they were started: one interval per call from the first start
    (a schedule kept gives ``rate``; one that slipped, less)."""
    if len(starts) < 2:
        return float(len(starts))
    span = max(starts) - min(starts) + 1.0 / rate
    return round(len(starts) / span, 1)


def _await_arrivals(probe, sent_at: dict[str, float], cap: float = 300.0) -> None:
    """Until every sent conversion's commission has arrived -- or none has for
    ``CHAIN_SETTLE_S`` (a backlog still draining is waited for, a lost event is not)."""
    last_count = -1
    began = last_progress = time.monotonic()
    while probe.missing(sent_at) and time.monotonic() - began < cap:
        count = len(probe.arrived_at)
        if count != last_count:
            last_count, last_progress = count, time.monotonic()
        elif time.monotonic() - last_progress > CHAIN_SETTLE_S:
            return
        eventlet.sleep(0.1)


def _confirm_visible(config, commission_ids: list[str]) -> int:
    """The timer saw commission_created (published after commit): check the query side
    serves those commissions too."""
    visible = 0
    with ClusterRpcProxy(config, timeout=30) as rpc:
        for commission_id in commission_ids:
            try:
                visible += rpc.commissions.get_commission(commission_id)["commission_id"] \
                    == commission_id
            except Exception:
                pass
    return visible


class _EventTimer:
    """Consumes `<source>.events` for one event type and stamps arrival per conversion.
    An event may arrive before the caller has read its RPC reply (and so before it knows
    the conversion id): arrivals are kept for all, and matched to the sends at the end."""

    def __init__(self, amqp_uri, source, event_type):
        self.connection = Connection(amqp_uri)
        self.queue = Queue(f"bench-timer-{uuid.uuid4().hex[:8]}",
                           exchange=get_event_exchange(source, {}), routing_key=event_type,
                           durable=False, auto_delete=True)
        self.arrived_at: dict[str, float] = {}
        self.commission_ids: dict[str, str] = {}
        self._running = False

    def start(self) -> None:
        self._running = True
        self._thread = eventlet.spawn(self._consume)
        eventlet.sleep(0.2)

    def _consume(self) -> None:
        def on_message(body, message):
            arrived = time.perf_counter()
            payload = body.get("payload", {})
            conversion_id = payload.get("conversion_id")
            self.arrived_at.setdefault(conversion_id, arrived)
            self.commission_ids[conversion_id] = payload.get("commission_id")
            message.ack()

        with self.connection.Consumer(self.queue, callbacks=[on_message]):
            while self._running:
                try:
                    self.connection.drain_events(timeout=0.2)
                except OSError:
                    pass

    def missing(self, sent_at: dict[str, float]) -> int:
        return sum(1 for conversion_id in sent_at if conversion_id not in self.arrived_at)

    def latencies_ms(self, sent_at: dict[str, float]) -> dict[str, float]:
        return {conversion_id: (self.arrived_at[conversion_id] - started) * 1000
                for conversion_id, started in sent_at.items()
                if conversion_id in self.arrived_at}

    def stop(self) -> None:
        self._running = False
        self._thread.wait()
        self.connection.release()


# --- ingestion: tracking's high-throughput path -------------------------------------------
TARGET_EVENTS_PER_S = 80_000 / 60  # the case's 80,000 tracked events per minute
INGEST_ONE = "capacity, 1 tracking instance"
INGEST_PACED = f"at {TARGET_EVENTS_PER_S:,.0f} events/s, 1 instance"
INGEST_SECOND = "start a second tracking instance"
INGEST_TWO = "capacity, 2 tracking instances"


def ingestion(env, settings, report) -> None:
    """Capacity (callers back to back) and accept latency at the target rate (paced)."""
    _require(env, "partners", "campaigns", "tracking")
    _step(env, "ingestion", INGEST_ONE)
    world = World.get(env)
    amqp = report.sections.get("floor", {}).get(AMQP_FLOOR, {}).get("rate_per_s")
    one = _ingest_capacity(env, world, settings, "1 instance")
    report.add("ingestion", INGEST_ONE, one, ratio=ratio(one.extra["events_per_s"], amqp),
               cores_used=cores_used(one), **_cpu_figures(env, one, None, None))
    _step(env, "ingestion", INGEST_PACED)
    paced = _ingest_paced(env, world, settings)
    report.add("ingestion", INGEST_PACED, paced,
               ratio=ratio(paced.extra["events_per_s"], amqp),
               **_cpu_figures(env, paced, None, None))
    if env.db == "sqlite":  # SQLite serves one instance per service: PostgreSQL for more
        report.skipped["ingestion, 2 instances"] = "SQLite runs one instance (--db postgres)"
        return
    _step(env, "ingestion", INGEST_SECOND)
    with second_instances(env, "tracking"):
        _step(env, "ingestion", INGEST_TWO)
        env.wait_quiet()  # as before the 1-instance point: the paced run's backlog is not its
        two = _ingest_capacity(env, world, settings, "2 instances")
        two_cpu = _cpu_figures(env, two, None, None)  # while the second's CPU at rest is known
    report.add("ingestion", INGEST_TWO, two, instances={"tracking": 2},
               cores_used=cores_used(two), **two_cpu,
               **versus_one_instance(two.summary(), two_cpu,
                                     report.sections["ingestion"][INGEST_ONE], "events_per_s"),
               note=cores_note())


def _plan_ingestion(settings) -> list[tuple[str, float]]:
    point = settings.warmup + settings.ingest_seconds + SETUP_OVERHEAD_S
    return [(INGEST_ONE, point), (INGEST_PACED, point), (INGEST_SECOND, SECOND_START_S),
            (INGEST_TWO, point + settings.quiet_window + 1.0)]


def _click_batch(world, size: int) -> list[dict]:
    return [{"referral_code": world.referral_code, "ip": f"198.51.100.{n % 250}",
             "user_agent": "bench/1.0"} for n in range(size)]


def _record_batch(proxy, batch) -> None:
    result = proxy.tracking.record_clicks(batch)
    failed = [r for r in result["results"] if "error" in r]
    if failed:
        raise RuntimeError(f"{len(failed)} click(s) refused: {failed[0]['error']}")


def _ingest_capacity(env, world, settings, label):
    """Callers send batches back to back: how many events/s the path takes at most."""
    batch = _click_batch(world, settings.ingest_batch)
    result = load.rpc_load(env.config, f"ingest capacity {label}",
                           lambda proxy, n: _record_batch(proxy, batch),
                           concurrency=settings.ingest_callers,
                           seconds=settings.ingest_seconds, warmup=settings.warmup,
                           cpu=env.cpu_seconds)
    result.extra.update(events_per_s=round(result.rate * settings.ingest_batch, 1),
                        batch=settings.ingest_batch, accept_latency="per batch call")
    return result


def _ingest_paced(env, world, settings):
    """Batches sent at a steady TARGET_EVENTS_PER_S (open loop) for the whole run: the
    accept latency a producer sees when tracking carries the case's load."""
    size = settings.paced_batch
    batch = _click_batch(world, size)
    result = load.rpc_paced(env.config, "ingest paced",
                            lambda proxy, n: _record_batch(proxy, batch),
                            rate=TARGET_EVENTS_PER_S / size, seconds=settings.ingest_seconds,
                            warmup=settings.warmup, cpu=env.cpu_seconds, callers=16)
    result.extra.update(events_per_s=round(result.ok * size / result.seconds, 1), batch=size,
                        target_events_per_s=round(TARGET_EVENTS_PER_S, 1),
                        accept_latency="per batch call")
    return result


# --- HTTP through the BFF -------------------------------------------------------------------
REDIRECT = "GET /r/<code> c=16"
DASHBOARD = "GET /api/v1/partner/dashboard c=16"
POSTBACK = "POST /api/v1/conversions c=16"
POSTBACK_JWT = "POST /api/v1/conversions c=16, brand JWT (as before identity)"


def http_bff(env, settings, report) -> None:
    """The referral redirect (wrk when installed), the partner dashboard, and the
    conversion postback as a brand's server sends it (its API key, or a brand JWT
    without identity), closed loop at 16 and open loop at the floors' rate."""
    _require(env, "bff", "partners", "campaigns", "tracking")
    base = f"http://{env.bff_http}"
    _step(env, "http_bff", REDIRECT)
    world = World.get(env)
    _wait_http(f"{base}/health")
    hello = report.sections.get("floor", {}).get(HELLO_FLOOR, {}).get("rate_per_s")
    redirect = load.http_load(f"{base}/r/{world.referral_code}", concurrency=16,
                              seconds=settings.point, name="GET /r/<code>", expect=(302,),
                              cpu=env.cpu_seconds)
    report.add("http", REDIRECT, redirect, ratio=ratio(redirect.rate, hello),
               **_cpu_figures(env, redirect, "bff", None))

    _step(env, "http_bff", DASHBOARD)
    token = _partner_token(env, world.partner_id)
    dashboard_request = ("GET", "/api/v1/partner/dashboard",
                         {"Authorization": f"Bearer {token}"}, None)
    dashboard = load.http_requests(base, lambda n: dashboard_request, concurrency=16,
                                   seconds=settings.point, warmup=settings.warmup,
                                   name="dashboard", cpu=env.cpu_seconds)
    report.add("http", DASHBOARD, dashboard, ratio=ratio(dashboard.rate, hello),
               **_cpu_figures(env, dashboard, "bff", None))

    credential, headers = _brand_credential(env, world)

    _step(env, "http_bff", POSTBACK)
    env.wait_quiet()  # the dashboard's reads leave nothing, the world's writes might
    closed = load.http_requests(base, _postbacks(world, headers), concurrency=16,
                                seconds=settings.point,
                                warmup=settings.warmup, name="postback", expect=(201,),
                                cpu=env.cpu_seconds)
    report.add("http", POSTBACK, closed, ratio=ratio(closed.rate, hello), credential=credential,
               **_cpu_figures(env, closed, "bff", None))
    if credential == "api key":  # the same point authenticated as before identity existed
        _step(env, "http_bff", POSTBACK_JWT)
        env.wait_quiet()
        before = load.http_requests(base, _postbacks(world, _brand_jwt_headers(env, world)),
                                    concurrency=16, seconds=settings.point,
                                    warmup=settings.warmup, name="postback-jwt",
                                    expect=(201,), cpu=env.cpu_seconds)
        report.add("http", POSTBACK_JWT, before, ratio=ratio(before.rate, hello),
                   credential="jwt", api_key_vs_jwt=ratio(closed.rate, before.rate),
                   **_cpu_figures(env, before, "bff", None))
    key = open_loop_key("POST /api/v1/conversions", settings.open_loop_rate)
    _step(env, "http_bff", key)
    env.wait_quiet()  # the closed loop's commissions are not this point's
    opened = load.http_paced(base, _postbacks(world, headers), rate=settings.open_loop_rate,
                             seconds=settings.point, warmup=settings.warmup, name="postback",
                             expect=(201,), cpu=env.cpu_seconds)
    report.add("http", key, opened, credential=credential,
               **_cpu_figures(env, opened, "bff", None))


def _postbacks(world, headers: dict):
    """The n-th postback of a point: a new order each time (ids of this point only: an
    order id seen before is answered from the first answer, a cheaper path)."""
    run = uuid.uuid4().hex[:8]

    def postback(n):
        body = {"order_id": f"postback-{run}-{n}", "amount": "100.00", "currency": "USD",
                "referral_code": world.referral_code}
        return "POST", "/api/v1/conversions", headers, json.dumps(body).encode()

    return postback


def _plan_http(settings) -> list[tuple[str, float]]:
    point = settings.warmup + settings.point + SETUP_OVERHEAD_S
    drained = point + settings.quiet_window + 1.0
    return [(REDIRECT, max(1.0, settings.point) + 1.0), (DASHBOARD, point),
            (POSTBACK, drained), (POSTBACK_JWT, drained),
            (open_loop_key("POST /api/v1/conversions", settings.open_loop_rate), drained)]


def _partner_token(env, partner_id: str) -> str:
    try:
        from services.bff.tokens import mint  # type: ignore[import-not-found]
    except ImportError as missing:
        raise NotMeasurable(f"the BFF has no token minting yet ({missing})") from None
    return mint(role="partner", subject=partner_id, secret=env.env["ALPES_JWT_SECRET"])


def _brand_credential(env, world) -> tuple[str, dict]:
    """What a brand's server sends: an API key with the ``conversions:write`` scope
    (identity makes it; the BFF verifies it through a short cache), else -- a platform
    without identity -- a brand JWT. Returns (which, headers)."""
    headers = {"Content-Type": "application/json"}
    if "identity" in env.services:
        with ClusterRpcProxy(env.config, timeout=30) as rpc:
            made = rpc.identity.create_api_key({
                "brand_id": world.brand_id, "name": "bench postback",
                "scopes": ["conversions:write"], "created_by": "bench"})
        return "api key", {**headers, "X-Api-Key": made["key"]}
    return "jwt", _brand_jwt_headers(env, world)


def _brand_jwt_headers(env, world) -> dict:
    """A brand's bearer JWT: how a brand's server authenticated before identity."""
    from services.bff.tokens import mint  # type: ignore[import-not-found]

    token = mint(role="brand", subject=world.brand_id, secret=env.env["ALPES_JWT_SECRET"])
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


# --- memory -----------------------------------------------------------------------------------
MEMORY_STEP = "peak RSS of every process"


def memory(env, settings, report) -> None:
    _step(env, "memory", MEMORY_STEP)
    for name, process in env.stack.processes.items():
        rss = process.peak_rss_kb
        if rss is not None:
            report.add("memory", f"{name} peak RSS (MiB)", round(rss / 1024, 1))


# --- the plan: every step each scenario announces, with the seconds it should take -----------
DRAIN_STEP = "wait for empty queues"
PLANS = {
    "floors": _plan_floors,
    "partner_commands": _plan_commands(REGISTER),
    "conversion_commands": _plan_commands(CONVERT),
    "event_chain": _plan_chain,
    "ingestion": _plan_ingestion,
    "http_bff": _plan_http,
    "webhooks": lambda settings: webhooks_plan(settings),
    "memory": lambda settings: [(MEMORY_STEP, 0.1)],
}


def plan(settings, chosen, db: str = "sqlite") -> list[Step]:
    """The run's steps in order: each chosen scenario's drain, then its points (from
    ``PLANS``; a scenario of its own module, from that module's ``plan(settings)``; a
    step nobody planned is still shown, as "not planned"). On SQLite, without the
    second-instance steps, which run on PostgreSQL only."""
    steps = []
    for scenario in chosen:
        name = scenario.__name__
        steps.append(Step(name, DRAIN_STEP, settings.quiet_window + 1.0))
        steps += [Step(name, label, seconds) for label, seconds in _planner(scenario)(settings)
                  if db != "sqlite" or label not in _postgres_only(settings)]
    return steps


def _postgres_only(settings) -> set[str]:
    """The steps with a second instance of a service (SQLite serves one)."""
    return {INGEST_SECOND, INGEST_TWO, CONVERT_SECOND,
            *(convert_instances_key(settings.concurrencies[0], n) for n in (1, 2))}


def _planner(scenario):
    if scenario.__name__ in PLANS:
        return PLANS[scenario.__name__]
    module = sys.modules.get(scenario.__module__)
    if module is not None and module.__name__ != __name__ and callable(
            getattr(module, "plan", None)):
        return module.plan
    return lambda settings: []


# --- targets ----------------------------------------------------------------------------------
TARGETS = {  # name -> what is promised (printed with each verdict; BENCHMARKS.md says how)
    "ingestion": "tracking ingestion ≥ 1,333 events/s sustained, p99 accept < 100 ms, "
                 "0 errors",
    "commands": "register_partner and record_conversion throughput ≥ 0.7 × echo at the "
                "same concurrency (c=16 and c=64)",
    "chain 100/s": "conversion → commission visible p99 < 100 ms at 100/s, 0 errors",
    "chain 150/s": "conversion → commission visible p99 < 250 ms at 150/s, 0 errors",
    "chain cpu": "CPU per conversion summed over the platform's processes ≤ 6 ms "
                 "(chain at 100/s)",
    "command cpu": "each command's own service CPU per call ≤ 1.5 × the RPC + one durable "
                   "write floor (open loop)",
    "replicas cpu": "register_partner including its replicas (every platform process) "
                    "≤ 2 × that floor (open loop)",
    "redirect": "BFF GET /r/<code> ≥ 0.6 × bare @http hello",
    "dashboard": "partner dashboard ≥ 0.2 × bare @http hello",
}
CHAIN_CPU_MAX_MS = 6.0
OWN_CPU_MAX_RATIO = 1.5
REPLICAS_CPU_MAX_RATIO = 2.0
REDIRECT_MIN_RATIO = 0.6
DASHBOARD_MIN_RATIO = 0.2
COMMAND_MIN_RATIO = 0.7


def evaluate_targets(report) -> None:
    sections = report.sections
    _ingestion_target(report, sections.get("ingestion", {}))
    commands = sections.get("commands", {})
    command_ratios = {key: entry["ratio"] for key, entry in commands.items()
                      if isinstance(entry, dict) and entry.get("ratio") is not None}
    if command_ratios:
        report.target("commands", TARGETS["commands"],
                      min(command_ratios.values()) >= COMMAND_MIN_RATIO,
                      ", ".join(f"{k}: {v}" for k, v in command_ratios.items()))
    else:
        report.target("commands", TARGETS["commands"], None,
                      _why_not(report, "partner_commands", "conversion_commands"))
    _chain_targets(report, sections.get("chain", {}))
    _cpu_targets(report, commands)
    http = sections.get("http", {})
    for name, key, minimum in (("redirect", REDIRECT, REDIRECT_MIN_RATIO),
                               ("dashboard", DASHBOARD, DASHBOARD_MIN_RATIO)):
        entry = http.get(key)
        if entry and entry.get("ratio") is not None:
            report.target(name, TARGETS[name], entry["ratio"] >= minimum and not entry["errors"],
                          f"ratio {entry['ratio']} ({_fmt_rate(entry)} requests/s), "
                          f"{entry['errors']} errors")
        else:
            report.target(name, TARGETS[name], None, _why_not(report, "http_bff", "floors"))


def _ingestion_target(report, ingestion: dict) -> None:
    paced, capacity = ingestion.get(INGEST_PACED), ingestion.get(INGEST_ONE)
    if not (paced and capacity):
        report.target("ingestion", TARGETS["ingestion"], None, _why_not(report, "ingestion"))
        return
    met = (paced["events_per_s"] >= 0.98 * paced["target_events_per_s"]
           and capacity["events_per_s"] >= paced["target_events_per_s"]
           and (paced["p99_ms"] or 1e9) < 100 and paced["errors"] == 0
           and capacity["errors"] == 0)
    report.target("ingestion", TARGETS["ingestion"], met,
                  f"sustained {paced['events_per_s']:,.0f} events/s with p99 "
                  f"{paced['p99_ms']} ms per batch of {paced['batch']}; capacity "
                  f"{capacity['events_per_s']:,.0f} events/s; "
                  f"{paced['errors'] + capacity['errors']} errors")


def _chain_targets(report, chain: dict) -> None:
    measured = ", ".join(f"p99 {entry['p99_ms']} ms at {entry['rate_per_s']}/s"
                         for entry in chain.values() if isinstance(entry, dict))
    for rate, limit in CHAIN_TARGETS.items():
        name = f"chain {rate:g}/s"
        entry = chain.get(chain_key(rate))
        if entry is None:
            report.target(name, TARGETS[name], None,
                          f"measured only below {rate:g}/s: {measured}" if measured
                          else _why_not(report, "event_chain"))
            continue
        kept_up = entry["rate_per_s"] >= 0.95 * rate
        report.target(name, TARGETS[name],
                      kept_up and (entry["p99_ms"] or 1e9) < limit and entry["errors"] == 0,
                      f"p99 {entry['p99_ms']} ms (p50 {entry['p50_ms']}) at "
                      f"{entry['rate_per_s']}/s, {entry['errors']} errors"
                      + ("" if kept_up else f"; the load client sent only "
                         f"{entry['rate_per_s']}/s of {rate:g}/s"))
    entry = chain.get(chain_key(CHAIN_CPU_RATE))
    if entry and entry.get("platform_cpu_ms") is not None:
        report.target("chain cpu", TARGETS["chain cpu"],
                      entry["platform_cpu_ms"] <= CHAIN_CPU_MAX_MS,
                      f"{entry['platform_cpu_ms']} ms per conversion ("
                      + _by_process(entry) + ")")
    else:
        others = ", ".join(f"{entry['platform_cpu_ms']} ms at {entry['rate_per_s']}/s"
                           for entry in chain.values()
                           if isinstance(entry, dict) and entry.get("platform_cpu_ms"))
        report.target("chain cpu", TARGETS["chain cpu"], None,
                      f"not measured at {CHAIN_CPU_RATE:g}/s" + (f": {others}" if others else
                                                                  "")
                      if chain else _why_not(report, "event_chain"))


def _cpu_targets(report, commands: dict) -> None:
    """Judged on the open-loop points, where the write floor was measured the same way."""
    open_loop = {key.split(" ")[0]: entry for key, entry in commands.items()
                 if isinstance(entry, dict) and entry.get("open_loop_rate")}
    own = {name: entry.get("service_cpu_ratio") for name, entry in open_loop.items()}
    if own and all(value is not None for value in own.values()):
        report.target("command cpu", TARGETS["command cpu"],
                      max(own.values()) <= OWN_CPU_MAX_RATIO,
                      "; ".join(f"{name}: {open_loop[name]['service']} "
                                f"{open_loop[name]['service_cpu_ms']} ms = {value} × floor"
                                for name, value in own.items()))
    else:
        report.target("command cpu", TARGETS["command cpu"], None,
                      _why_not(report, "partner_commands", "conversion_commands", "floors"))
    register = open_loop.get(REGISTER)
    if register and register.get("platform_cpu_ratio") is not None:
        report.target("replicas cpu", TARGETS["replicas cpu"],
                      register["platform_cpu_ratio"] <= REPLICAS_CPU_MAX_RATIO,
                      f"{register['platform_cpu_ms']} ms = {register['platform_cpu_ratio']} × "
                      f"floor ({_by_process(register)})")
    else:
        report.target("replicas cpu", TARGETS["replicas cpu"], None,
                      _why_not(report, "partner_commands", "floors"))


def _by_process(entry: dict) -> str:
    cpu = platform_processes(entry.get("cpu_ms_per_call") or {})
    return ", ".join(f"{name} {ms:g}" for name, ms in sorted(cpu.items(), key=lambda i: -i[1]))


def _fmt_rate(entry: dict) -> str:
    return f"{entry.get('rate_per_s') or 0:,.0f}"


def _why_not(report, *scenarios: str) -> str:
    """Why a target has no verdict: the scenarios it needs that were skipped or not run."""
    reasons = [f"{name}: {report.skipped[name]}" for name in scenarios if name in report.skipped]
    return "; ".join(reasons) or f"not run ({', '.join(scenarios)} needed)"


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


from bench.webhooks import plan as webhooks_plan  # noqa: E402  (it reads World above)
from bench.webhooks import webhooks  # noqa: E402

# isort: split
from bench.observability import observability_overhead  # noqa: E402  (reads World)

ALL = [floors, partner_commands, conversion_commands, event_chain, ingestion, http_bff, webhooks,
       memory, observability_overhead]

__all__ = ["ALL", "NotMeasurable", "TARGETS", "evaluate_targets", "plan", "Any"]
