"""The run's record: figures, ratios, targets; printed as one table and saved as JSON."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib
from typing import Any

from bench.stats import LoadResult

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"


@dataclasses.dataclass
class Target:
    name: str
    description: str
    met: bool | None  # None: could not be measured in this run
    detail: str


class Report:
    def __init__(self, mode: str, environment: dict):
        self.mode = mode
        self.environment = environment
        self.started_at = dt.datetime.now(dt.UTC)
        self.sections: dict[str, dict[str, Any]] = {}
        self.targets: list[Target] = []
        self.skipped: dict[str, str] = {}
        self.errors = 0
        self.settings: dict[str, Any] = {}
        self.steps: list[dict] = []  # the progress plan's steps: planned and actual seconds

    def add(self, section: str, key: str, result: LoadResult | dict | float | int | None,
            **extra) -> None:
        entry = result.summary() if isinstance(result, LoadResult) else result
        if isinstance(entry, dict):
            entry = {**entry, **extra}
            self.errors += int(entry.get("errors") or 0)
        self.sections.setdefault(section, {})[key] = entry

    def skip(self, section: str, why: str) -> None:
        self.skipped[section] = why

    def target(self, name: str, description: str, met: bool | None, detail: str) -> None:
        self.targets.append(Target(name, description, met, detail))

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "mode": self.mode,
            "errors": self.errors,
            **self.environment,
            "settings": self.settings,
            "sections": self.sections,
            "skipped": self.skipped,
            "targets": [dataclasses.asdict(t) for t in self.targets],
            "steps": self.steps,
        }

    def save(self, directory: pathlib.Path = RESULTS_DIR) -> pathlib.Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.strftime("%Y%m%dT%H%M%SZ")
        suffix = "" if self.mode == "full" else f"-{self.mode}"
        path = directory / f"{stamp}{suffix}.json"
        path.write_text(json.dumps(self.as_dict(), indent=2, default=str))
        return path

    def table(self) -> str:
        lines = []
        if self.errors:
            lines.append(f"!! THIS RUN HAD {self.errors} ERROR(S): figures below are suspect !!")
        env = self.environment
        lines.append(f"AlpesPartners benchmark ({self.mode}, db={env.get('db')}) "
                     f"{self.started_at:%Y-%m-%d %H:%M}Z on {env['machine']['cpus']} cpu "
                     f"{env['machine']['cpu_model']}")
        lines.append(f"{'section':<12} {'measure':<{W}} {'rate/s':>9} {'p50 ms':>8} "
                     f"{'p99 ms':>8} {'ratio':>7} {'errors':>6}")
        for section, entries in self.sections.items():
            for key, entry in entries.items():
                if not isinstance(entry, dict):
                    lines.append(f"{section:<12} {key:<{W}} {entry!s:>9}")
                    continue
                if "cpu_ms_per_s" in entry:  # not a load point: shown with the CPU lines
                    continue
                lines.append(
                    f"{section:<12} {key:<{W}} "
                    f"{_fmt(entry.get('events_per_s') or entry.get('rate_per_s')):>9} "
                    f"{_fmt(entry.get('p50_ms') or entry.get('wrk_p50_ms')):>8} "
                    f"{_fmt(entry.get('p99_ms') or entry.get('wrk_p99_ms')):>8} "
                    f"{_fmt(entry.get('ratio')):>7} {_fmt(entry.get('errors')):>6}")
                if entry.get("note"):  # what the row can and cannot show, under it
                    lines.append(f"{'':<12} note: {entry['note']}")
        for section, why in self.skipped.items():
            lines.append(f"{section:<12} not measured: {why}")
        lines.extend(self._cpu_lines())
        lines.append("targets:")
        for target in self.targets:
            verdict = {True: "MET", False: "NOT MET", None: "NOT MEASURED"}[target.met]
            lines.append(f"  [{verdict:^12}] {target.description} — {target.detail}")
        return "\n".join(lines)


    def _cpu_lines(self) -> list[str]:
        """Where each call's CPU went, process by process (the machine's cores are
        shared: a command's downstream consumers compete with the command itself): the
        row's own service and the platform's sum first, with their ratios to the write
        floor measured the same way, then every process."""
        lines = []
        for entries in self.sections.values():
            for key, entry in entries.items():
                rest = isinstance(entry, dict) and entry.get("cpu_ms_per_s")
                if rest:
                    lines.append(f"cpu ms/s     {key:<{W}} " + ", ".join(
                        f"{name} {ms:g}" for name, ms in sorted(rest.items(),
                                                               key=lambda item: -item[1])))
                    lines.append(f"cpu ms/call  {'(each below: net of that CPU at rest)':<{W}}")
        for entries in self.sections.values():
            for key, entry in entries.items():
                cpu = isinstance(entry, dict) and entry.get("cpu_ms_per_call")
                if not cpu:
                    continue
                parts = []
                if entry.get("service"):
                    parts.append(f"own ({entry['service']}) {entry.get('service_cpu_ms'):g}"
                                 + _times(entry.get("service_cpu_ratio")))
                if entry.get("platform_cpu_ms") is not None:
                    parts.append(f"platform {entry['platform_cpu_ms']:g}"
                                 + _times(entry.get("platform_cpu_ratio")))
                spent = ", ".join(f"{name} {ms:g}" for name, ms in
                                  sorted(cpu.items(), key=lambda item: -item[1]))
                lines.append(f"cpu ms/call  {key:<{W}} "
                             + (" | ".join(parts) + " | " if parts else "") + spent)
        return lines


W = 44  # the measure column


def _times(value) -> str:
    return "" if value is None else f" ({value:g} × write floor)"


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)
