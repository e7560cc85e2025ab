"""The Payout aggregate: one partner, one currency, one cycle -- an orchestrated saga.

Steps and statuses::

    PENDING --hold--> HELD --pay (PSP)--> CONFIRMING --confirm--> PAID
       |                 \\--declined--> COMPENSATING --release--> FAILED
       \\--nothing to hold--> SKIPPED         \\--release fails--> COMPENSATION_FAILED

Every step and compensation is appended to the saga log, persisted with the status in
one transaction, so a crashed saga resumes from where its log says it stopped. A step
whose outcome is unknown (the commissions service or the PSP did not answer) is logged
as an ERROR and repeated later -- each step is idempotent by payout id, and the PSP call
carries the payout id as its idempotency key, so a repeat never pays twice.

``claim`` gives one runner a lease on an active payout; every recorded step renews it.
A runner whose lease was taken over fails to save (version check) and stops.

A partner has one payout per currency and cycle, and at most one **under way** (PENDING,
HELD, CONFIRMING, COMPENSATING) per currency whatever the cycle: the one under way holds
the partner's approved balance until it ends, so a second one could only end SKIPPED.
``why_not_start`` says why a run leaves a partner to the payout in the way.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from common.seedwork.domain.entity import AggregateRoot, ValueObject
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Money
from common.seedwork.domain.rules import BusinessRule, StatusMustBe, check_rule


class PayoutStatus(str, enum.Enum):
    PENDING = "PENDING"
    HELD = "HELD"
    CONFIRMING = "CONFIRMING"
    PAID = "PAID"
    COMPENSATING = "COMPENSATING"
    FAILED = "FAILED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"
    SKIPPED = "SKIPPED"


ACTIVE = (PayoutStatus.PENDING, PayoutStatus.HELD, PayoutStatus.CONFIRMING,
          PayoutStatus.COMPENSATING)
NEXT_STEP = {PayoutStatus.PENDING: "hold", PayoutStatus.HELD: "pay",
             PayoutStatus.CONFIRMING: "confirm", PayoutStatus.COMPENSATING: "compensate"}

# Why a run leaves a partner to another payout (the payee's own reasons: payee.py).
ALREADY_IN_CYCLE = "already_in_cycle"
IN_PROGRESS_IN_ANOTHER_CYCLE = "payout_in_progress_in_another_cycle"
PAID_IN_ANOTHER_CYCLE = "paid_in_another_cycle"


@dataclasses.dataclass(frozen=True)
class Skip(ValueObject):
    """Why a run does not start a partner's payout, and the payout in the way if any."""
    reason: str
    payout_id: str | None = None


def why_not_start(in_cycle: Payout | None, under_way: Payout | None,
                  paid_meanwhile: Payout | None) -> Skip | None:
    """None when a run may start the partner's payout of its cycle -- or restart it when
    it FAILED -- else why not. ``in_cycle``: the partner's payout of this cycle;
    ``under_way``: its payout under way in this currency, whatever the cycle;
    ``paid_meanwhile``: one PAID since the run read the partner's payable balance, which
    may well have been that balance."""
    if in_cycle is not None and in_cycle.status is not PayoutStatus.FAILED:
        return Skip(ALREADY_IN_CYCLE, in_cycle.id)
    if under_way is not None:
        return Skip(IN_PROGRESS_IN_ANOTHER_CYCLE, under_way.id)
    if paid_meanwhile is not None:
        return Skip(PAID_IN_ANOTHER_CYCLE, paid_meanwhile.id)
    return None


class OnePayoutUnderWay(BusinessRule):
    """A payout may not go under way again while another one of the partner's is."""

    def __init__(self, payout: Payout, under_way: Payout | None):
        self.payout = payout
        self.under_way = under_way

    def is_broken(self) -> bool:
        return self.under_way is not None and self.under_way.id != self.payout.id

    def describe(self) -> str:
        return (f"Payout {self.under_way.id} (cycle {self.under_way.cycle}) of this partner "
                f"is under way in {self.payout.currency}; retry once it has ended.")


@dataclasses.dataclass(frozen=True)
class SagaStep(ValueObject):
    attempt: int
    step: str       # start | hold | pay | confirm | compensate | retry
    outcome: str    # OK | FAILED (definitive) | ERROR (unknown: repeated later) | SKIPPED
    detail: dict[str, Any]
    at: datetime


@dataclasses.dataclass(frozen=True)
class PayoutState(ValueObject):
    payout_id: str
    partner_id: str
    cycle: str
    amount: Money
    commission_ids: tuple[str, ...]
    # (commission id, brand id) per commission; None for a payout held before they were kept
    commission_brands: tuple[tuple[str, str], ...] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutEvent(DomainEvent):
    payout: PayoutState


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutStarted(PayoutEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutPaid(PayoutEvent):
    psp_reference: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutFailed(PayoutEvent):
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutCompensationFailed(PayoutEvent):
    reason: str


class Payout(AggregateRoot):
    def __init__(self, *, id: str, partner_id: str, currency: str, cycle: str,
                 status: PayoutStatus, min_amount: Money, payout_method: dict[str, Any],
                 created_at: datetime, updated_at: datetime, attempt: int = 1,
                 amount: Money | None = None, commission_ids: Sequence[str] = (),
                 adjustment_ids: Sequence[str] = (),
                 commission_brands: Mapping[str, str] | None = None,
                 psp_reference: str | None = None,
                 reason: str | None = None, lease_owner: str | None = None,
                 lease_until: datetime | None = None, next_attempt_at: datetime | None = None):
        self.id = id
        self.partner_id = partner_id
        self.currency = currency
        self.cycle = cycle
        self.status = PayoutStatus(status)
        self.min_amount = min_amount
        self.payout_method = payout_method  # snapshot taken when the payout started
        self.created_at = created_at
        self.updated_at = updated_at
        self.attempt = attempt
        self.amount = amount
        self.commission_ids = tuple(commission_ids)
        self.adjustment_ids = tuple(adjustment_ids)
        # whose commission each held one is (what the payout's events name); None for a
        # payout held before this was kept
        self.commission_brands = _copy(commission_brands)
        self.psp_reference = psp_reference
        self.reason = reason
        self.lease_owner = lease_owner
        self.lease_until = lease_until
        self.next_attempt_at = next_attempt_at
        self.new_steps: list[SagaStep] = []

    @classmethod
    def start(cls, *, id: str, partner_id: str, currency: str, cycle: str, min_amount: Money,
              payout_method: dict[str, Any], now: datetime) -> "Payout":
        payout = cls(id=id, partner_id=partner_id, currency=currency, cycle=cycle,
                     status=PayoutStatus.PENDING, min_amount=min_amount,
                     payout_method=payout_method, created_at=now, updated_at=now)
        payout._log("start", "OK", now, min_amount=min_amount.format_amount())
        return payout

    @property
    def next_step(self) -> str | None:
        return NEXT_STEP.get(self.status)

    @property
    def is_under_way(self) -> bool:
        return self.status in ACTIVE

    # scheduling -------------------------------------------------------------------------
    def claim(self, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take the saga for ``lease`` if it has a step to run, nobody holds it and its
        retry time has come."""
        free = self.lease_until is None or self.lease_until <= now
        due = self.next_attempt_at is None or self.next_attempt_at <= now
        if self.next_step is None or not free or not due:
            return False
        self.lease_owner, self.lease_until = owner, now + lease
        return True

    def renew(self, now: datetime, lease: timedelta) -> None:
        self.lease_until = now + lease

    def let_go(self) -> None:
        self.lease_owner = self.lease_until = None

    # steps ------------------------------------------------------------------------------
    def held(self, amount: Money, commission_ids: Sequence[str],
             adjustment_ids: Sequence[str], now: datetime,
             commission_brands: Mapping[str, str] | None = None) -> None:
        self._expect(PayoutStatus.PENDING, "hold commissions for")
        self.amount = amount
        self.commission_ids, self.adjustment_ids = tuple(commission_ids), tuple(adjustment_ids)
        self.commission_brands = _copy(commission_brands)
        self._move(PayoutStatus.HELD, now)
        self._log("hold", "OK", now, amount=amount.format_amount(),
                  commissions=len(self.commission_ids), clawbacks=len(self.adjustment_ids))
        self.record(PayoutStarted(payout=self.state, occurred_at=now))

    def nothing_to_hold(self, payable: Money, now: datetime) -> None:
        self._expect(PayoutStatus.PENDING, "skip")
        self.reason = "nothing_payable" if not payable.is_positive else "below_threshold"
        self._move(PayoutStatus.SKIPPED, now)
        self._log("hold", "SKIPPED", now, payable=payable.format_amount(), reason=self.reason)

    def paid_by_psp(self, reference: str, now: datetime) -> None:
        self._expect(PayoutStatus.HELD, "record a payment of")
        self.psp_reference = reference
        self._move(PayoutStatus.CONFIRMING, now)
        self._log("pay", "OK", now, psp_reference=reference)

    def declined_by_psp(self, reason: str, now: datetime) -> None:
        self._expect(PayoutStatus.HELD, "record a declined payment of")
        self.reason = reason
        self._move(PayoutStatus.COMPENSATING, now)
        self._log("pay", "FAILED", now, reason=reason)

    def confirmed(self, now: datetime) -> None:
        self._expect(PayoutStatus.CONFIRMING, "confirm")
        self._move(PayoutStatus.PAID, now)
        self._log("confirm", "OK", now)
        self.record(PayoutPaid(payout=self.state, psp_reference=self.psp_reference,
                               occurred_at=now))

    def compensated(self, now: datetime) -> None:
        self._expect(PayoutStatus.COMPENSATING, "compensate")
        self._move(PayoutStatus.FAILED, now)
        self._log("compensate", "OK", now)
        self.record(PayoutFailed(payout=self.state, reason=self.reason, occurred_at=now))

    def compensation_failed(self, error: str, now: datetime) -> None:
        self._expect(PayoutStatus.COMPENSATING, "compensate")
        self._move(PayoutStatus.COMPENSATION_FAILED, now)
        self._log("compensate", "FAILED", now, error=error)
        self.record(PayoutCompensationFailed(
            payout=self.state, reason=f"{self.reason}; compensation failed: {error}",
            occurred_at=now))

    def step_error(self, step: str, error: str, retry_at: datetime, now: datetime) -> None:
        """The step's outcome is unknown: log it, repeat it at ``retry_at``."""
        self.next_attempt_at = retry_at
        self.updated_at = now
        self.let_go()
        self._log(step, "ERROR", now, error=error)

    def retry(self, now: datetime, under_way: Payout | None = None) -> bool:
        """FAILED: a new attempt from the hold; COMPENSATION_FAILED: the compensation
        again -- not while ``under_way``, another payout of the partner in this currency,
        is. False when the saga is still running (nothing to do)."""
        if self.is_under_way:
            return False
        check_rule(StatusMustBe("payout", self.status,
                                (PayoutStatus.FAILED, PayoutStatus.COMPENSATION_FAILED), "retry"))
        check_rule(OnePayoutUnderWay(self, under_way))
        if self.status is PayoutStatus.FAILED:
            self.attempt += 1
            self.amount, self.commission_ids, self.adjustment_ids = None, (), ()
            self.commission_brands = None
            self.psp_reference = self.reason = None
            self._move(PayoutStatus.PENDING, now)
        else:
            self._move(PayoutStatus.COMPENSATING, now)
        self.next_attempt_at = None
        self.let_go()
        self._log("retry", "OK", now)
        return True

    # helpers ----------------------------------------------------------------------------
    @property
    def state(self) -> PayoutState:
        return PayoutState(payout_id=self.id, partner_id=self.partner_id, cycle=self.cycle,
                           amount=self.amount or Money.zero(self.currency),
                           commission_ids=self.commission_ids,
                           commission_brands=None if self.commission_brands is None else
                           tuple((cid, self.commission_brands[cid])
                                 for cid in self.commission_ids
                                 if cid in self.commission_brands))

    def _expect(self, status: PayoutStatus, action: str) -> None:
        check_rule(StatusMustBe("payout", self.status, (status,), action))

    def _move(self, status: PayoutStatus, now: datetime) -> None:
        self.status = status
        self.updated_at = now
        self.next_attempt_at = None

    def _log(self, step: str, outcome: str, now: datetime, **detail) -> None:
        self.new_steps.append(SagaStep(attempt=self.attempt, step=step, outcome=outcome,
                                       detail=detail, at=now))


def _copy(commission_brands: Mapping[str, str] | None) -> dict[str, str] | None:
    return None if commission_brands is None else dict(commission_brands)
