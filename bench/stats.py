"""Small measurement helpers: percentiles, rates, one result record."""
from __future__ import annotations

import dataclasses
from typing import Any


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of a list of numbers."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


@dataclasses.dataclass
class LoadResult:
    """What one load run measured. Latencies in milliseconds."""

    name: str
    concurrency: int
    seconds: float
    ok: int
    errors: int
    latencies_ms: list[float] = dataclasses.field(default_factory=list, repr=False)
    error_samples: list[str] = dataclasses.field(default_factory=list)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name, "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3), "ok": self.ok, "errors": self.errors,
            "rate_per_s": round(self.rate, 1),
            "p50_ms": _round(percentile(self.latencies_ms, 50)),
            "p95_ms": _round(percentile(self.latencies_ms, 95)),
            "p99_ms": _round(percentile(self.latencies_ms, 99)),
            "error_samples": self.error_samples[:5],
            **self.extra,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)
