"""The clock tests hand to code that asks for the time: ``clock()`` answers ``clock.now``,
which the test sets or moves on."""
from __future__ import annotations

from datetime import timedelta
from typing import Any


class Clock:
    def __init__(self, now: Any):
        self.now = now

    def __call__(self) -> Any:
        return self.now

    def advance(self, **delta) -> Any:
        """Move a datetime clock on by ``timedelta(**delta)``; the new time."""
        self.now += timedelta(**delta)
        return self.now
