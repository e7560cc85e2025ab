"""The service's knobs (config.yaml ``TRACKING``), with defaults for missing ones."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.terms import MAX_ATTRIBUTION_WINDOW

DEFAULTS: dict[str, Any] = {
    "flooding_max_clicks_per_minute": 10,   # per IP per referral code; 0 turns the rule off
    "too_fast_min_seconds": 5,              # click -> conversion; 0 turns the rule off
    "self_referral_enabled": True,
    "reject_suspended": True,               # suspended partner or enrollment
    "max_clicks_per_call": 1000,
    "max_clock_skew_seconds": 300,          # how far in the future occurred_at may be
    "click_arrival_wait_seconds": 3,        # a conversion's click id minted lately, not here yet
    "clicks_attributed_interval_seconds": 60,
    "clicks_attributed_max_clicks": 5000,   # per transaction of the batching task
    "flood_counter_retention_minutes": 60,
    "click_retention_days": 400,            # 0 keeps every click
    "click_purge_max_rows": 5000,           # per transaction of the purge
    "housekeeping_interval_seconds": 300,
    "stats_changed_interval_seconds": 2,    # changed daily stats rows leave this often
    "stats_changed_max_rows": 500,          # per stats_changed event (and transaction)
}


@dataclasses.dataclass(frozen=True)
class TrackingSettings:
    rules: FraudRules = FraudRules()
    max_clicks_per_call: int = 1000
    max_clock_skew: timedelta = timedelta(minutes=5)
    billing_chunk: int = 5000
    flood_counter_retention: timedelta = timedelta(hours=1)
    # clicks older than this are deleted (None: never); at least the longest attribution
    # window, so that no conversion could still be attributed to a purged click
    click_retention: timedelta | None = timedelta(days=400)
    click_purge_rows: int = 5000
    stats_batch_rows: int = 500  # daily stats rows per stats_changed event
    # how long record_conversion waits for a lately minted click id still on its way from
    # the BFF (0: not at all)
    click_arrival_wait: timedelta = timedelta(seconds=3)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "TrackingSettings":
        values = {**DEFAULTS, **(section or {})}
        flooding = int(values["flooding_max_clicks_per_minute"])
        too_fast = float(values["too_fast_min_seconds"])
        return cls(
            rules=FraudRules(
                max_clicks_per_minute=flooding if flooding > 0 else None,
                min_seconds_to_convert=too_fast if too_fast > 0 else None,
                self_referral=_flag(values["self_referral_enabled"]),
                reject_suspended=_flag(values["reject_suspended"]),
            ),
            max_clicks_per_call=int(values["max_clicks_per_call"]),
            max_clock_skew=timedelta(seconds=float(values["max_clock_skew_seconds"])),
            billing_chunk=int(values["clicks_attributed_max_clicks"]),
            flood_counter_retention=timedelta(
                minutes=float(values["flood_counter_retention_minutes"])),
            click_retention=_click_retention(values["click_retention_days"]),
            click_purge_rows=int(values["click_purge_max_rows"]),
            stats_batch_rows=int(values["stats_changed_max_rows"]),
            click_arrival_wait=timedelta(seconds=float(values["click_arrival_wait_seconds"])),
        )


def _click_retention(days: Any) -> timedelta | None:
    retention = timedelta(days=float(days))
    if not retention:
        return None
    if retention < MAX_ATTRIBUTION_WINDOW:
        raise ValueError(
            f"TRACKING.click_retention_days is {float(days):g}: it must be 0 (keep every "
            f"click) or at least {MAX_ATTRIBUTION_WINDOW.days}, the longest attribution "
            "window, so that no conversion could still be attributed to a purged click.")
    return retention


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
