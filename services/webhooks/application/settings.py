"""The service's knobs (config.yaml ``WEBHOOKS``), read once at start; defaults for the
missing ones. An unknown key stops the service at start-up (a typo must not silently
leave a production safety net at its default)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from services.webhooks.domain.delivery import RetrySchedule
from services.webhooks.domain.destinations import DestinationPolicy
from services.webhooks.domain.endpoint import FailurePolicy

SECTION = "WEBHOOKS"

DEFAULTS: dict[str, Any] = {
    # destinations
    "allow_http": False,                  # https only unless true (dev and tests)
    "allow_private_destinations": False,  # private/loopback/link-local: dev and tests only
    # attempts
    "retry_schedule_seconds": [0, 5, 300, 1800, 7200, 18000, 36000, 36000],  # ~27.6 h
    "retry_jitter": 0.2,                  # each delay +/- 20 %
    "connect_timeout_seconds": 3.0,
    "timeout_seconds": 10.0,              # a whole attempt: connect, send, answer
    "response_excerpt_bytes": 1024,       # kept in the delivery log
    "user_agent": "AlpesPartners-Webhooks/1",
    # endpoints
    "disable_after_failures": 8,          # consecutive failed attempts, and...
    "disable_after_seconds": 86400,       # ...failing for at least this long
    "rotation_grace_seconds": 86400,      # the previous secret stays valid this long
    # the delivery driver
    "poll_interval_seconds": 1.0,         # new deliveries wake it at once; this is the net
    "max_in_flight": 16,                  # attempts at once per instance (workers)
    "max_in_flight_per_endpoint": 4,      # per endpoint per instance
    "lease_seconds": 60.0,                # a dead sender's deliveries resume after this
                                          # (at least 2 x timeout_seconds + 5)
    "batch_size": 100,
    # events in: the snapshot of who subscribes to what (application/subscriptions.py)
    "subscriptions_max_age_seconds": 1.0,  # trusted this long; 0: ask the database always
    # events in: types nobody subscribes to are not received (infrastructure/bindings.py);
    # subscribed types are bound again this often (a broker that lost its bindings)
    "bindings_interval_seconds": 60,
    # endpoint secrets at rest: the key ring sealing them (infrastructure/sealing.py);
    # read by the service's SecretSealing provider, never kept in these settings
    "secret_keys": "",
    # housekeeping
    "retention_days": 30,                 # finished deliveries and their attempts
    "housekeeping_interval_seconds": 3600,
}


@dataclasses.dataclass(frozen=True)
class WebhooksSettings:
    destinations: DestinationPolicy = DestinationPolicy()
    schedule: RetrySchedule = RetrySchedule()
    connect_timeout: float = 3.0
    timeout: float = 10.0
    excerpt_bytes: int = 1024
    user_agent: str = "AlpesPartners-Webhooks/1"
    failure_policy: FailurePolicy = FailurePolicy()
    rotation_grace: timedelta = timedelta(days=1)
    poll_interval: float = 1.0
    max_in_flight: int = 16
    max_in_flight_per_endpoint: int = 4
    lease: timedelta = timedelta(seconds=60)
    batch_size: int = 100
    retention: timedelta = timedelta(days=30)
    subscriptions_max_age: float = 1.0

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "WebhooksSettings":
        unknown = set(section or {}) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"{SECTION}: unknown key(s) {sorted(unknown)}")
        values = {**DEFAULTS, **(section or {})}
        timeout = float(values["timeout_seconds"])
        return cls(
            destinations=DestinationPolicy(
                allow_http=flag(values["allow_http"]),
                allow_private=flag(values["allow_private_destinations"])),
            schedule=RetrySchedule(delays=schedule(values["retry_schedule_seconds"]),
                                   jitter=float(values["retry_jitter"])),
            connect_timeout=min(float(values["connect_timeout_seconds"]), timeout),
            timeout=timeout,
            excerpt_bytes=int(values["response_excerpt_bytes"]),
            user_agent=str(values["user_agent"]),
            failure_policy=FailurePolicy(
                after_failures=int(values["disable_after_failures"]),
                after=timedelta(seconds=float(values["disable_after_seconds"]))),
            rotation_grace=timedelta(seconds=float(values["rotation_grace_seconds"])),
            poll_interval=float(values["poll_interval_seconds"]),
            max_in_flight=max(1, int(values["max_in_flight"])),
            max_in_flight_per_endpoint=max(1, int(values["max_in_flight_per_endpoint"])),
            # a leased delivery may wait for its endpoint's slot one attempt long
            lease=timedelta(seconds=max(float(values["lease_seconds"]), 2 * timeout + 5)),
            batch_size=max(1, int(values["batch_size"])),
            retention=timedelta(days=float(values["retention_days"])),
            subscriptions_max_age=max(0.0, float(values["subscriptions_max_age_seconds"])),
        )


def schedule(value: Any) -> tuple[float, ...]:
    """A list of seconds, or the same as text: ``"0, 5, 300"`` (environment variables)."""
    if isinstance(value, str):
        value = [part for part in value.strip().strip("[]").split(",") if part.strip()]
    return tuple(float(item) for item in value)


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
