"""`make bench` / `make bench-smoke`: measure the suite against floors from the same run.

    python -m bench [--smoke] [--db sqlite|postgres] [--only SCENARIO ...] [--out DIR]
                    [--point SECONDS]

Figures on a shared machine drift, so each is quoted as a ratio to a floor measured in
the same run: raw AMQP through kombu (the messaging limit), a bare Nameko ``@rpc`` echo
and ``@http`` hello (what Nameko itself costs), and an RPC that makes one durable write
(what a command cannot do without). See BENCHMARKS.md for the method.

``--point SECONDS`` shortens every point (the chain and ingestion runs to 3 points' worth)
to check the harness quickly; such a run is labelled ``short`` and its figures are not
the benchmark's. While it runs, the progress of the plan goes to stderr (bench/progress.py:
a live bar on a terminal or with ALPES_PROGRESS=1, else one line per step).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import logging  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from decimal import Decimal  # noqa: E402

import common.nameko  # noqa: E402,F401  (typed remote errors)
from bench import scenarios  # noqa: E402
from bench.environment import BenchEnvironment  # noqa: E402
from bench.progress import Progress, Step  # noqa: E402
from bench.report import Report  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Settings:
    mode: str
    warmup: float          # seconds of warm-up before each measurement
    point: float           # seconds per throughput/latency point
    chain_seconds: float   # event-chain run at each steady rate
    chain_rates: tuple[float, ...]  # conversions/s: a headroom rate first, then the targets'
    ingest_seconds: float  # sustained ingestion run
    ingest_batch: int      # clicks per record_clicks call
    ingest_callers: int
    paced_batch: int       # clicks per call when pacing at the target rate
    concurrencies: tuple[int, ...] = (16, 64)
    open_loop_rate: float = 60.0  # calls/s of the open-loop CPU points (floors, commands)
    quiet_window: float = 6.0  # seconds the queues must stay empty before a point
    at_rest_seconds: float = 10.0  # the processes' CPU at rest (10 ms ticks: 1 ms/s here)


FULL = Settings("full", warmup=2.0, point=10.0, chain_seconds=30.0,
                chain_rates=(30.0, *scenarios.CHAIN_TARGETS),
                ingest_seconds=60.0, ingest_batch=200, ingest_callers=4, paced_batch=50)
SMOKE = Settings("smoke", warmup=0.2, point=0.5, chain_seconds=1.0, chain_rates=(20.0,),
                 ingest_seconds=1.0, ingest_batch=50, ingest_callers=2, paced_batch=50,
                 concurrencies=(4,), quiet_window=0.2, at_rest_seconds=2.0)
START_STEP, STOP_STEP = ("platform", "start: vhost, databases, migrations, services"), \
    ("platform", "stop")


def shortened(settings: Settings, point: float) -> Settings:
    """Every point ``point`` seconds long (for checking the harness, not for figures)."""
    return dataclasses.replace(settings, mode="short", point=point,
                               warmup=min(settings.warmup, point / 4),
                               chain_seconds=3 * point, ingest_seconds=3 * point)


def run_plan(settings: Settings, chosen, db: str = "sqlite") -> list[Step]:
    return [Step(*START_STEP, 15.0), Step(*scenarios.AT_REST_STEP, scenarios.at_rest_seconds(
        settings)), *scenarios.plan(settings, chosen, db), Step(*STOP_STEP, 5.0)]


def main(argv: list[str] | None = None) -> int:
    # a load client's channel closing with a publisher confirm still in flight: harmless,
    # and printed once per client it would bury the table
    logging.getLogger("amqp").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds-long run (CI)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--out", default=None, help="directory for the JSON result")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO",
                        choices=[scenario.__name__ for scenario in scenarios.ALL],
                        help="run these scenarios only (targets they do not measure: not run)")
    parser.add_argument("--point", type=float, metavar="SECONDS",
                        help="shorten every point to this (checking the harness, not figures)")
    args = parser.parse_args(argv)
    settings = SMOKE if args.smoke else FULL
    if args.point:
        settings = shortened(settings, args.point)
    chosen = [s for s in scenarios.ALL if not args.only or s.__name__ in args.only]
    began = time.monotonic()
    with Progress("bench", run_plan(settings, chosen, args.db)) as progress:
        progress.step(*START_STEP)
        with BenchEnvironment(db=args.db, quiet_window=settings.quiet_window) as env:
            env.progress = progress
            report = Report(settings.mode, env.describe())
            report.settings = dataclasses.asdict(settings)
            progress.step(*scenarios.AT_REST_STEP)
            scenarios.at_rest(env, settings, report)  # CPU per call is net of it
            for scenario in chosen:
                try:
                    progress.step(scenario.__name__, scenarios.DRAIN_STEP)
                    drained = env.wait_quiet()
                    report.add("run", f"drained before {scenario.__name__} (s)", drained)
                    scenario(env, settings, report)
                except scenarios.NotMeasurable as why:
                    report.skip(scenario.__name__, str(why))
                except Exception as error:  # a broken scenario is an error of the run
                    report.errors += 1
                    report.skip(scenario.__name__, f"failed: {type(error).__name__}: {error}")
            scenarios.evaluate_targets(report)
            progress.step(*STOP_STEP)
    report.steps = progress.records
    report.add("run", "wall_seconds", round(time.monotonic() - began, 1))
    path = report.save(*([pathlib.Path(args.out)] if args.out else []))
    print(report.table())
    print(f"\nresults: {path}")
    return 1 if report.errors else 0


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


__all__ = ["Decimal", "FULL", "SMOKE", "Settings", "main", "unique"]

if __name__ == "__main__":
    sys.exit(main())
