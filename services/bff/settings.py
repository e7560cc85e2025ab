"""The BFF's knobs (config.yaml's ``BFF`` section) with their defaults.

Read once per container (in a dependency's ``setup``), so a bad value stops the BFF at
start-up instead of failing on some later request.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from services.bff.ratelimit import Limit

MEMORY = "memory"
CLICK_HANDOVERS = ("journaled", "confirmed", "buffered")  # services/bff/clicks.py
SHARED_SCHEMES = ("redis", "rediss", "redis+unix")  # storages of ratelimit_shared

DEFAULT_RATE_LIMITS = {
    # authenticated routes: per token subject (role + id)
    "token": {"requests": 600, "per_seconds": 60},
    # brands' servers posting conversions and refunds: per token subject
    "postback": {"requests": 6000, "per_seconds": 60},
    # public routes, per client IP
    "signup": {"requests": 10, "per_seconds": 3600},
    # log-in attempts per client IP (identity also counts failures per account and IP)
    "login": {"requests": 30, "per_seconds": 60},
    "redirect": {"requests": 120, "per_seconds": 60},
    "public": {"requests": 120, "per_seconds": 60},
}


@dataclasses.dataclass(frozen=True)
class Settings:
    token_ttl_seconds: int = 3600
    max_token_ttl_seconds: int = 30 * 24 * 3600
    rpc_timeout_seconds: float | None = None  # None: the platform's RPC_TIMEOUT_SECONDS
    health_timeout_seconds: float = 2.0
    max_body_bytes: int = 64 * 1024
    max_json_depth: int = 20
    trust_forwarded_for: bool = False
    dashboard_stats_days: int = 30
    # "journaled": a redirect answers once its click is in the local journal (a BFF crash
    # loses none), flushed every click_flush_ms; "confirmed": once the broker confirmed it
    # (nothing answered lost, whatever fails); "buffered": at once, from memory
    click_handover: str = "journaled"
    click_batch_max: int = 1000       # clicks in one clicks_captured message at most
    click_batches_in_flight: int = 1  # click messages awaiting the broker's confirm at once
    click_batch_linger_ms: float = 2.0  # under load, how long a batch waits for more clicks
    click_flush_ms: float = 100.0     # journaled, buffered: how often clicks are handed over
    click_buffer_max: int = 10_000    # journaled, buffered: clicks held at most (then 503)
    click_journal_dir: str = "var/clicks"  # journaled: a subdirectory per broker vhost
    referral_links_max: int = 100_000  # referral codes kept in memory (LRU)
    unknown_code_seconds: float = 5.0  # how long an unknown code is answered 404 unasked
    referral_link_max_age_seconds: float = 300.0  # a code is looked up again after this
    # How long a verified session, API key or partner standing is believed without asking
    # again: revocations reach every instance within it even if their event is lost.
    credential_cache_seconds: float = 4.0
    # Where rate limits count: "memory" (this process: one instance) or a redis:// URL
    # (shared by every instance: the limits hold however many run).
    rate_limit_storage: str = MEMORY
    rate_limits: Mapping[str, Limit] = dataclasses.field(
        default_factory=lambda: _limits(DEFAULT_RATE_LIMITS))

    def limit(self, policy: str) -> Limit:
        return self.rate_limits[policy]


def from_config(config: Mapping[str, Any]) -> Settings:
    section = dict(config.get("BFF") or {})
    limits = {**DEFAULT_RATE_LIMITS, **(section.pop("rate_limits", None) or {})}
    known = {field.name for field in dataclasses.fields(Settings)} - {"rate_limits"}
    unknown = set(section) - known
    if unknown:
        raise ValueError(f"unknown BFF settings: {', '.join(sorted(unknown))}")
    values = {name: _coerce(name, value) for name, value in section.items()}
    ttl = values.get("credential_cache_seconds", Settings.credential_cache_seconds)
    if not 0 < ttl < 5:
        raise ValueError("BFF credential_cache_seconds must be above 0 and below 5 "
                         "(revocations are honoured within 5 seconds)")
    handover = values.setdefault("click_handover", Settings.click_handover)
    if handover not in CLICK_HANDOVERS:
        raise ValueError(f"BFF click_handover must be one of {', '.join(CLICK_HANDOVERS)}, "
                         f"not {handover!r}")
    storage = values.setdefault("rate_limit_storage", MEMORY)
    scheme = urlsplit(storage).scheme
    if storage != MEMORY and scheme not in SHARED_SCHEMES:
        given = f"a {scheme}:// URL" if scheme else repr(storage)  # no password in the log
        raise ValueError(f"BFF rate_limit_storage must be {MEMORY!r} or a redis:// URL "
                         f"(redis://host:6379/0), not {given}")
    return Settings(**values, rate_limits=_limits(limits))


def _limits(raw: Mapping[str, Any]) -> dict[str, Limit]:
    return {name: Limit(int(spec["requests"]), float(spec["per_seconds"]))
            for name, spec in raw.items()}


_TYPES = {"token_ttl_seconds": int, "max_token_ttl_seconds": int, "max_body_bytes": int,
          "max_json_depth": int, "dashboard_stats_days": int, "click_batch_max": int,
          "click_batches_in_flight": int, "referral_links_max": int,
          "unknown_code_seconds": float, "click_batch_linger_ms": float,
          "click_handover": str, "click_flush_ms": float, "click_buffer_max": int,
          "click_journal_dir": str,
          "referral_link_max_age_seconds": float,
          "health_timeout_seconds": float, "trust_forwarded_for": bool,
          "credential_cache_seconds": float, "rate_limit_storage": str}


def _coerce(name: str, value: Any) -> Any:
    if name == "rpc_timeout_seconds":
        return None if value in (None, "") else float(value)
    if name == "rate_limit_storage":
        return str(value or "").strip() or MEMORY
    if name == "click_handover":
        return str(value or "").strip().lower() or Settings.click_handover
    if _TYPES.get(name) is bool and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return _TYPES[name](value)
