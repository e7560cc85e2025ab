"""The benchmark's own arithmetic: CPU per call and how the chain target is judged (the
figures themselves are never asserted -- `make bench` reports them)."""
import os

from bench.environment import _process_cpu_seconds
from bench.load import cpu_per_call
from bench.report import Report
from bench.scenarios import chain_key, evaluate_targets


def test_cpu_per_call_divides_each_process_share_and_drops_idle_ones():
    before = {"tracking": 10.0, "commissions": 4.0, "payouts": 1.0}
    after = {"tracking": 10.5, "commissions": 4.25, "payouts": 1.0}
    assert cpu_per_call(before, after, calls=100) == {"tracking": 5.0, "commissions": 2.5}


def test_cpu_seconds_are_read_for_a_live_process_and_none_for_a_gone_one():
    assert _process_cpu_seconds(os.getpid()) >= 0
    assert _process_cpu_seconds(2 ** 22 + 1) is None


def _chain_point(rate: float, p99: float) -> dict:
    return {"rate_per_s": rate, "sent": int(rate * 30), "errors": 0, "p50_ms": p99 / 2,
            "p95_ms": p99, "p99_ms": p99}


def _chain_verdict(*points: tuple[float, float]):
    report = Report("full", {"db": "sqlite", "machine": {"cpus": 2, "cpu_model": "x"}})
    for rate, p99 in points:
        report.add("chain", chain_key(rate), _chain_point(rate, p99))
    evaluate_targets(report)
    [chain] = [target for target in report.targets if target.name == "chain"]
    return chain


def test_the_chain_target_is_judged_at_100_per_second_not_at_the_headroom_rate():
    assert _chain_verdict((30, 40.0), (100, 6000.0)).met is False
    assert _chain_verdict((30, 400.0), (100, 80.0)).met is True


def test_a_chain_measured_only_below_100_per_second_is_not_judged():
    verdict = _chain_verdict((20, 24.0))
    assert verdict.met is None and "below 100/s" in verdict.detail
