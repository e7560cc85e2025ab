"""The benchmark's own arithmetic: CPU per call, the platform's share of it, the ratios to
the write floor and how each target is judged (the figures themselves are never asserted
-- `make bench` reports them)."""
import os
import pathlib
import types

import pytest

from bench.environment import _process_cpu_seconds, platform_processes
from bench.load import cpu_per_call
from bench.report import Report
from bench.scenarios import (
    CONVERT,
    REGISTER,
    TARGETS,
    _cpu_figures,
    chain_key,
    evaluate_targets,
    net_of_idle,
    open_loop_key,
)

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
