"""The benchmark's own arithmetic: CPU per call, the platform's share of it, the ratios to
the write floor and how each target is judged (the figures themselves are never asserted
-- `make bench` reports them)."""
import os
import pathlib
import types

import pytest

from bench import scenarios
from bench.environment import _process_cpu_seconds, platform_processes
from bench.load import cpu_per_call
from bench.report import Report
from bench.scenarios import (
    CONVERT,
    REGISTER,
    TARGETS,
    _cpu_figures,
    chain_key,
    convert_instances_key,
    cores_note,
    cores_used,
    evaluate_targets,
    net_of_idle,
    open_loop_key,
    versus_one_instance,
)
from bench.stats import LoadResult

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_cpu_per_call_divides_each_process_share_and_drops_idle_ones():
    before = {"tracking": 10.0, "commissions": 4.0, "payouts": 1.0}
    after = {"tracking": 10.5, "commissions": 4.25, "payouts": 1.0}
    assert cpu_per_call(before, after, calls=100) == {"tracking": 5.0, "commissions": 2.5}


def test_cpu_seconds_are_read_for_a_live_process_and_none_for_a_gone_one():
    assert _process_cpu_seconds(os.getpid()) >= 0
    assert _process_cpu_seconds(2 ** 22 + 1) is None


def test_the_platform_share_leaves_out_the_load_client_wrk_and_the_floors():
    cpu = {"partners": 2.0, "campaigns": 1.0, "bench client": 1.0, "wrk": 0.5,
           "bench_echo": 0.1, "bench_write": 0.1, "tracking_2": 0.3}
    assert platform_processes(cpu) == {"partners": 2.0, "campaigns": 1.0, "tracking_2": 0.3}


def test_a_rows_own_and_platform_cpu_are_ratios_to_the_write_floor_measured_alike():
    env = types.SimpleNamespace(idle_cpu={})
    row = {"cpu_ms_per_call": {"partners": 3.0, "campaigns": 1.5, "bench client": 1.0},
           "seconds": 10.0, "ok": 600}
    figures = _cpu_figures(env, row, "partners", {"service_cpu_ms": 2.0})
    assert {key: value for key, value in figures.items() if not key.startswith("cpu_")} == {
        "platform_cpu_ms": 4.5, "service": "partners", "service_cpu_ms": 3.0,
        "service_cpu_ratio": 1.5, "platform_cpu_ratio": 2.25}
    assert "service_cpu_ratio" not in _cpu_figures(env, row, "partners", None)
    assert "platform_cpu_ms" not in _cpu_figures(env, row, "partners", None, platform=False)
    assert _cpu_figures(env, {"cpu_ms_per_call": {}}, "partners", None) == {}


def test_cpu_per_call_is_net_of_what_each_process_burns_at_rest():
    # 600 calls in 10 s; campaigns burns 6 ms/s at rest: 0.1 ms per call is not the calls'
    env = types.SimpleNamespace(idle_cpu={"campaigns": 6.0, "payouts": 3.0})
    row = {"cpu_ms_per_call": {"partners": 3.0, "campaigns": 1.6, "payouts": 0.05},
           "seconds": 10.0, "ok": 600}
    figures = _cpu_figures(env, row, "partners", None)
    assert figures["cpu_ms_per_call"] == {"partners": 3.0, "campaigns": 1.5}
    assert figures["cpu_ms_per_call_gross"] == row["cpu_ms_per_call"]
    assert figures["platform_cpu_ms"] == 4.5
    assert net_of_idle({"a": 1.0}, {"a": 5.0}, 10.0, 0) == {"a": 1.0}  # no calls: as measured


# --- 1 vs 2 instances (PostgreSQL) ---------------------------------------------------------
class _Process:
    def __init__(self, name):
        self.name, self.started, self.stopped = name, False, False

    def start(self):
        self.started = True

    def stop(self):
        self.stopped = True


class _Stack:
    """What the scaling rows use of tools.stack.Stack."""

    def __init__(self):
        self.processes = {name: _Process(name) for name in ("tracking", "commissions")}
        self.added = []

    def add(self, name, module, env=None, rpc_name=None):
        self.added.append((name, module, rpc_name, env))
        self.processes[name] = _Process(name)
        return self.processes[name]

    def _instance_env(self, name, number):
        return {"METRICS_PORT_BASE": str(9400 + 10 * (number - 1))}

    def wait_ready(self, names, timeout):
        self.ready = list(names)


def _scaling_env(monkeypatch, db="postgres", fail_second=False):
    """An environment whose load points take 10 s: 1,000 calls with one instance of each
    service, 1,100 with two; every running process spends 2 ms per call, 3 ms/s at rest."""
    stack = _Stack()
    env = types.SimpleNamespace(db=db, stack=stack, config={}, cpu_seconds=dict,
                                wait_quiet=lambda: 0.0,
                                idle_cpu={"tracking": 3.0, "commissions": 3.0})

    def rpc_load(config, key, call, *, concurrency, seconds, warmup, cpu):
        two = "tracking_2" in stack.processes
        if two and fail_second:
            raise RuntimeError("broker gone")
        return LoadResult(key, concurrency, 10.0, 1100 if two else 1000, 0,
                          latencies_ms=[10.0, 20.0] if two else [12.0, 30.0],
                          extra={"cpu_ms_per_call": {**{name: 2.0 for name in stack.processes},
                                                     "bench client": 1.0}})

    monkeypatch.setattr(scenarios.load, "rpc_load", rpc_load)
    monkeypatch.setattr(scenarios.os, "cpu_count", lambda: 2)  # the note reads the machine's
    settings = types.SimpleNamespace(concurrencies=(16, 64), point=10.0, warmup=2.0)
    return env, settings


def test_conversions_with_two_instances_of_tracking_and_commissions_get_their_ratio_to_one(
        monkeypatch):
    env, settings = _scaling_env(monkeypatch)
    report = Report("full", {"db": "postgres", "machine": {"cpus": 2, "cpu_model": "x"}})
    scenarios._conversion_instances(env, settings, report, lambda proxy, n: None)
    one, two = (report.sections["instances"][convert_instances_key(16, n)] for n in (1, 2))
    assert list(report.sections["instances"]) == [
        "tracking.record_conversion c=16, 1 instance",
        "tracking.record_conversion c=16, 2 instances"]
    assert one["instances"] == {"tracking": 1, "commissions": 1} and "ratio" not in one
    assert two["instances"] == {"tracking": 2, "commissions": 2}
    assert two["ratio"] == 1.1 and two["vs_1_instance"]["rate"] == 1.1
    assert two["vs_1_instance"]["p99_ms"] == round(20 / 30, 3)
    # the second instances' CPU per call, net of the first's CPU at rest (3 ms/s x 10 s)
    assert two["cpu_ms_per_call"]["tracking_2"] == two["cpu_ms_per_call"]["tracking"] == 1.97
    assert two["platform_cpu_ms"] == round(4 * 1.97, 2) and one["platform_cpu_ms"] == 3.94
    assert two["cores_used"]["commissions_2"] == 0.22 and "tracking_2" not in one["cores_used"]
    assert "near 1" in two["note"]
    # started as competing consumers of the same service, each with its own metrics port
    assert [(name, module, rpc) for name, module, rpc, _ in env.stack.added] == [
        ("tracking_2", "services.tracking.service", "tracking"),
        ("commissions_2", "services.commissions.service", "commissions")]
    assert env.stack.added[0][3] == {"METRICS_PORT_BASE": "9410"}
    # and gone afterwards: stopped, out of the stack and of the CPU at rest
    assert set(env.stack.processes) == {"tracking", "commissions"}
    assert set(env.idle_cpu) == {"tracking", "commissions"}
    table = report.table()
    row = next(line for line in table.splitlines() if "c=16, 2 instances" in line)
    assert row.split()[-2:] == ["1.10", "0"]
    assert "note: 2 cores, shared" in table and "tracking_2 1.97" in table
    assert report.as_dict()["sections"]["instances"][convert_instances_key(16, 2)]["ratio"] == 1.1


def test_the_second_instances_are_stopped_even_when_their_point_fails(monkeypatch):
    env, settings = _scaling_env(monkeypatch, fail_second=True)
    stack = env.stack
    added = {}
    original = stack.add

    def add(name, *args, **kwargs):
        added[name] = original(name, *args, **kwargs)
        return added[name]

    stack.add = add
    report = Report("full", {"db": "postgres", "machine": {"cpus": 2, "cpu_model": "x"}})
    with pytest.raises(RuntimeError):
        scenarios._conversion_instances(env, settings, report, lambda proxy, n: None)
    assert all(process.started and process.stopped for process in added.values()), added
    assert set(stack.processes) == {"tracking", "commissions"}


def test_sqlite_says_why_there_is_no_second_instance(monkeypatch):
    env, settings = _scaling_env(monkeypatch, db="sqlite")
    report = Report("full", {"db": "sqlite", "machine": {"cpus": 2, "cpu_model": "x"}})
    scenarios._conversion_instances(env, settings, report, lambda proxy, n: None)
    assert "instances" not in report.sections and not env.stack.added
    assert "SQLite" in report.skipped["conversion_commands, 2 instances"]
    assert "conversion_commands, 2 instances" in report.table()


def test_the_ratio_to_one_instance_and_the_cores_each_process_kept_busy():
    one = {"events_per_s": 1000.0, "p50_ms": 40.0, "p99_ms": 100.0, "platform_cpu_ms": 20.0}
    two = {"events_per_s": 1050.0, "p50_ms": 38.0, "p99_ms": 150.0}
    figures = versus_one_instance(two, {"platform_cpu_ms": 22.0}, one, "events_per_s")
    assert figures == {"ratio": 1.05, "vs_1_instance": {
        "rate": 1.05, "p50_ms": 0.95, "p99_ms": 1.5, "platform_cpu_ms": 1.1}}
    # 50 calls/s at 16 ms of tracking's CPU each: 0.8 of a core
    assert cores_used({"seconds": 10.0, "ok": 500, "cpu_ms_per_call": {
        "tracking": 16.0, "bench client": 1.0}}) == {"tracking": 0.8, "bench client": 0.05}
    assert cores_used({"seconds": 0.0, "ok": 0}) == {}


def test_the_note_expects_a_ratio_near_1_on_two_cores_only():
    assert "near 1" in cores_note(2) and cores_note(2).startswith("2 cores")
    assert "near 1" not in cores_note(8) and "core free" in cores_note(8)


# --- targets ------------------------------------------------------------------------------
def _report(**sections) -> Report:
    report = Report("full", {"db": "sqlite", "machine": {"cpus": 2, "cpu_model": "x"}})
    for section, entries in sections.items():
        for key, entry in entries.items():
            report.add(section, key, entry)
    evaluate_targets(report)
    return report


def _verdict(report: Report, name: str):
    [target] = [target for target in report.targets if target.name == name]
    return target


def _chain_point(rate: float, p99: float, errors: int = 0, sent_rate=None,
                 cpu: float = 5.0) -> dict:
    return {"rate_per_s": sent_rate or rate, "sent": int(rate * 30), "errors": errors,
            "p50_ms": p99 / 2, "p95_ms": p99, "p99_ms": p99, "platform_cpu_ms": cpu,
            "cpu_ms_per_call": {"tracking": cpu / 2, "commissions": cpu / 2}}


def _chain(*points) -> Report:
    return _report(chain={chain_key(point[0]): _chain_point(*point) for point in points})


def test_every_target_gets_a_verdict_or_says_why_not_even_in_an_empty_run():
    report = _report()
    assert [target.name for target in report.targets] == list(TARGETS)
    assert all(target.met is None and target.detail for target in report.targets)


def test_the_chain_targets_are_judged_at_100_and_150_per_second_not_at_the_headroom_rate():
    report = _chain((30, 40.0), (100, 6000.0), (150, 200.0))
    assert _verdict(report, "chain 100/s").met is False
    assert _verdict(report, "chain 150/s").met is True
    report = _chain((30, 400.0), (100, 80.0), (150, 300.0))
    assert _verdict(report, "chain 100/s").met is True
    assert _verdict(report, "chain 150/s").met is False


def test_a_chain_point_with_errors_or_a_load_client_that_fell_behind_is_not_met():
    assert _verdict(_chain((100, 50.0, 1)), "chain 100/s").met is False
    behind = _verdict(_chain((100, 50.0, 0, 80.0)), "chain 100/s")
    assert behind.met is False and "sent only" in behind.detail


def test_a_chain_measured_only_below_100_per_second_is_not_judged():
    report = _chain((20, 24.0))
    verdict = _verdict(report, "chain 100/s")
    assert verdict.met is None and "below 100/s" in verdict.detail
    cpu = _verdict(report, "chain cpu")
    assert cpu.met is None and "at 20/s" in cpu.detail


def test_cpu_per_conversion_is_judged_on_the_platform_sum_at_100_per_second():
    assert _verdict(_chain((30, 20.0, 0, None, 9.0), (100, 80.0, 0, None, 5.5)),
                    "chain cpu").met is True
    assert _verdict(_chain((100, 80.0, 0, None, 6.5)), "chain cpu").met is False


def _open_loop_row(service: str, own: float, platform: float, floor: float = 2.0) -> dict:
    return {"rate_per_s": 60.0, "errors": 0, "open_loop_rate": 60.0, "service": service,
            "service_cpu_ms": own, "service_cpu_ratio": round(own / floor, 3),
            "platform_cpu_ms": platform, "platform_cpu_ratio": round(platform / floor, 3),
            "cpu_ms_per_call": {service: own, "campaigns": platform - own}}


@pytest.mark.parametrize(("register", "convert", "met"), [
    (2.9, 3.0, True), (3.2, 2.0, False), (2.0, 3.4, False)])
def test_each_commands_own_cpu_is_held_to_1_5_times_the_write_floor(register, convert, met):
    report = _report(commands={
        open_loop_key(REGISTER, 60): _open_loop_row("partners", register, register + 1),
        open_loop_key(CONVERT, 60): _open_loop_row("tracking", convert, convert + 4)})
    assert _verdict(report, "command cpu").met is met


@pytest.mark.parametrize(("platform", "met"), [(4.0, True), (4.2, False)])
def test_registration_with_its_replicas_is_held_to_twice_the_write_floor(platform, met):
    report = _report(commands={open_loop_key(REGISTER, 60): _open_loop_row("partners", 2.0,
                                                                           platform)})
    verdict = _verdict(report, "replicas cpu")
    assert verdict.met is met and "campaigns" in verdict.detail


def test_command_throughput_needs_every_ratio_at_0_7():
    rows = {f"{REGISTER} c=16": {"ratio": 0.8, "errors": 0},
            f"{CONVERT} c=64": {"ratio": 0.69, "errors": 0}}
    assert _verdict(_report(commands=rows), "commands").met is False
    rows[f"{CONVERT} c=64"]["ratio"] = 0.7
    assert _verdict(_report(commands=rows), "commands").met is True


def test_http_targets_redirect_at_0_6_and_dashboard_at_0_2_of_hello():
    http = {"GET /r/<code> c=16": {"ratio": 0.6, "errors": 0, "rate_per_s": 600.0},
            "GET /api/v1/partner/dashboard c=16": {"ratio": 0.19, "errors": 0,
                                                   "rate_per_s": 190.0}}
    report = _report(http=http)
    assert _verdict(report, "redirect").met is True
    assert _verdict(report, "dashboard").met is False


def test_benchmarks_md_lists_every_target_the_bench_prints():
    text = (ROOT / "BENCHMARKS.md").read_text()
    targets = text.split("\n## Targets\n", 1)[1].split("\n## ", 1)[0].replace("`", "")
    missing = [description for description in TARGETS.values() if description not in targets]
    assert not missing, missing
