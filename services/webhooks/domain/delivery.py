"""One event on its way to one endpoint, and every attempt to get it there.

* A delivery is written in the same transaction that accepts its event (the fan-out), so
  an accepted event is never lost; its id is derived from the event and the endpoint, so
  accepting the same event twice writes it once. That id is the ``webhook-id`` header,
  the same on every attempt: the receiver's idempotency key.
* ``body`` is the exact text sent (and signed) on every attempt.
* Attempts follow the retry schedule: ``schedule[0]`` after creation (0: at once), then
  ``schedule[n]`` after the n-th failed attempt, each delay spread by +/- ``jitter``.
  A 2xx answer delivers it; 410 Gone fails it for good (and disables the endpoint);
  anything else (another status, a timeout, a refused or unreachable destination) is
  retried until the schedule runs out, then the delivery is FAILED.
* A replay (by the owner) puts a delivered, failed or skipped delivery back on a fresh
  schedule: same ``webhook-id``, same body, attempts numbered on.
* While being sent a delivery is leased (``lease_owner``/``lease_until``): one sender at
  a time, and a sender that dies lets another take it over once the lease ends. That
  resend is why delivery is at least once, never exactly once.
"""
from __future__ import annotations

import dataclasses
import enum
import random as _random
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot

NAMESPACE = uuid.UUID("8b5f1a36-0c3e-4f7d-9a41-52d7e3c1b9a0")
MAX_EXCERPT = 1024
MAX_ERROR = 300


class DeliveryStatus(str, enum.Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"   # its endpoint was disabled when the event came (replayable)


class AttemptOutcome(str, enum.Enum):
    DELIVERED = "delivered"          # 2xx
    HTTP_ERROR = "http_error"        # any other status
    GONE = "gone"                    # 410: the endpoint is disabled
    TIMEOUT = "timeout"              # connect or total timeout
    CONNECTION_ERROR = "connection_error"
    REFUSED = "refused"              # the destination is not allowed (SSRF check)


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The same event for the same endpoint is always the same delivery."""
    return str(uuid.uuid5(NAMESPACE, f"{event_id}/{endpoint_id}"))


@dataclasses.dataclass(frozen=True)
class RetrySchedule:
    delays: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    jitter: float = 0.2

    def __post_init__(self):
        if not self.delays or any(delay < 0 for delay in self.delays):
            raise ValueError("a retry schedule is one or more delays >= 0 (seconds)")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")

    @property
    def attempts(self) -> int:
        return len(self.delays)

    def delay(self, step: int, random: Callable[[], float] = _random.random) -> timedelta | None:
        """Before attempt number ``step + 1`` of a round (None: the schedule is over)."""
        if step >= len(self.delays):
            return None
        base = self.delays[step]
        spread = 1 + self.jitter * (2 * random() - 1) if base else 1
        return timedelta(seconds=base * spread)

    def total(self) -> timedelta:
        return timedelta(seconds=sum(self.delays))


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one attempt got back (from the sender port)."""

    kind: AttemptOutcome
    duration_ms: float
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.kind is AttemptOutcome.DELIVERED

    @property
    def gone(self) -> bool:
        return self.kind is AttemptOutcome.GONE


@dataclasses.dataclass(frozen=True)
class Attempt:
    number: int
    started_at: datetime
    outcome: Outcome
    next_attempt_at: datetime | None


class Delivery(AggregateRoot):
    def __init__(self, *, id: str, endpoint_id: str, event_id: str, event_type: str,
                 body: str, status: str, attempts: int, step: int,
                 next_attempt_at: datetime | None, created_at: datetime,
                 occurred_at: datetime, updated_at: datetime,
                 delivered_at: datetime | None = None, last_status_code: int | None = None,
                 last_error: str | None = None, lease_owner: str | None = None,
                 lease_until: datetime | None = None):
        self.id = id
        self.endpoint_id = endpoint_id
        self.event_id = event_id
        self.event_type = event_type
        self.body = body
        self.status = DeliveryStatus(status)
        self.attempts = attempts          # every attempt ever made
        self.step = step                  # attempts in the current round of the schedule
        self.next_attempt_at = next_attempt_at
        self.created_at = created_at
        self.occurred_at = occurred_at
        self.updated_at = updated_at
        self.delivered_at = delivered_at
        self.last_status_code = last_status_code
        self.last_error = last_error
        self.lease_owner = lease_owner
        self.lease_until = lease_until
        self.new_attempts: list[Attempt] = []

    @classmethod
    def for_event(cls, *, endpoint_id: str, event_id: str, event_type: str, body: str,
                  occurred_at: datetime, now: datetime, schedule: RetrySchedule,
                  skipped: bool = False, test: bool = False) -> "Delivery":
        status = DeliveryStatus.SKIPPED if skipped else DeliveryStatus.PENDING
        # a test event is its own delivery: its id is the event's
        return cls(id=event_id if test else delivery_id(event_id, endpoint_id),
                   endpoint_id=endpoint_id, event_id=event_id, event_type=event_type,
                   body=body, status=status.value, attempts=0, step=0,
                   next_attempt_at=None if skipped else now + schedule.delay(0),
                   created_at=now, occurred_at=occurred_at, updated_at=now)

    @property
    def pending(self) -> bool:
        return self.status is DeliveryStatus.PENDING

    def leased_by(self, owner: str) -> bool:
        return self.lease_owner == owner

    def record(self, outcome: Outcome, *, started_at: datetime, now: datetime,
               schedule: RetrySchedule, random: Callable[[], float] = _random.random
               ) -> Attempt:
        """The attempt made at ``started_at``; the delivery is then delivered, failed, or
        due again after the schedule's next delay. The lease ends."""
        self.attempts += 1
        self.step += 1
        self.last_status_code = outcome.status_code
        self.last_error = outcome.error[:MAX_ERROR] if outcome.error else None
        self.lease_owner = None
        self.lease_until = None
        self.updated_at = now
        self.next_attempt_at = None
        if outcome.delivered:
            self.status = DeliveryStatus.DELIVERED
            self.delivered_at = now
        elif outcome.gone:
            self.status = DeliveryStatus.FAILED
        else:
            delay = schedule.delay(self.step, random)
            if delay is None:
                self.status = DeliveryStatus.FAILED
            else:
                self.next_attempt_at = now + delay
        attempt = Attempt(self.attempts, started_at, outcome, self.next_attempt_at)
        self.new_attempts.append(attempt)
        return attempt

    @property
    def exhausted(self) -> bool:
        return self.status is DeliveryStatus.FAILED

    def replay(self, now: datetime, schedule: RetrySchedule) -> bool:
        """Back on a fresh schedule (False: it is already pending)."""
        if self.pending:
            return False
        self.status = DeliveryStatus.PENDING
        self.step = 0
        self.next_attempt_at = now + schedule.delay(0)
        self.delivered_at = None
        self.lease_owner = None
        self.lease_until = None
        self.updated_at = now
        return True

    def release(self, now: datetime) -> None:
        """Give the lease back without an attempt (its endpoint went away meanwhile)."""
        self.lease_owner = None
        self.lease_until = None
        self.updated_at = now


def excerpt(raw: bytes | None, limit: int = MAX_EXCERPT) -> str | None:
    """The start of a response body, as text, for the delivery log."""
    if not raw:
        return None
    return raw[:limit].decode("utf-8", errors="replace")


def statuses(names: Sequence[str]) -> tuple[DeliveryStatus, ...]:
    return tuple(DeliveryStatus(name) for name in names)
