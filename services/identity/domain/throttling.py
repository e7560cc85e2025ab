"""Log-in throttling: failed attempts counted per key -- the email tried (known or not:
an unknown email is throttled exactly like a known one, so a lock-out tells nothing)
and the client's address -- in a fixed window; reaching the limit locks the key for the
lock-out period. The counters live in identity's database, so they hold across every BFF
instance and every identity instance."""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta


class LoginThrottle:
    """One key's counter (not an aggregate: no events, last writer wins in its row)."""

    def __init__(self, *, key: str, failures: int = 0, window_started_at: datetime | None = None,
                 locked_until: datetime | None = None):
        self.id = key
        self.failures = failures
        self.window_started_at = window_started_at
        self.locked_until = locked_until

    @property
    def key(self) -> str:
        return self.id

    def retry_after(self, now: datetime) -> int | None:
        """Whole seconds until the lock ends (None when not locked)."""
        if self.locked_until is None or now >= self.locked_until:
            return None
        return max(1, math.ceil((self.locked_until - now).total_seconds()))

    def fail(self, now: datetime, policy: ThrottlePolicy) -> None:
        if self.window_started_at is None or now - self.window_started_at >= policy.window:
            self.window_started_at, self.failures = now, 0
        self.failures += 1
        if self.failures >= policy.max_failures:
            self.locked_until = now + policy.lockout
            self.window_started_at, self.failures = None, 0

    def reset(self) -> None:
        self.failures, self.window_started_at, self.locked_until = 0, None, None
