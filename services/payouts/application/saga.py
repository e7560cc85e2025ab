"""Runs a claimed payout saga step after step until it ends or has to wait.

For each step: call the participant (commissions service or PSP) outside any
transaction, then record the outcome -- status, saga log entry, renewed lease -- in one
transaction. A crash between the two repeats the call on resume, which is safe: every
call is idempotent by payout id (the PSP's idempotency key is the payout id).

* a step that raises has an unknown outcome: it is logged as ERROR and repeated after
  ``retry_delay`` -- except the compensation: a release that commissions does not answer
  (``ServiceUnavailable``: a timeout, a loaded or restarting service) is asked again at
  once, up to ``COMPENSATION_ATTEMPTS`` times in all (release is idempotent by payout
  id; each attempt already waited the RPC timeout), and only then is its failure final
  until an operator retries it (COMPENSATION_FAILED);
* a runner that lost its lease (it took longer than the lease and another runner claimed
  the saga) cannot save (version check) and stops.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta

from common.seedwork.errors import ConcurrencyConflict, ServiceUnavailable
from services.payouts.application.ports import (
    CommissionsLedger,
    Hold,
    PaymentProvider,
    PaymentRequest,
    PaymentResult,
    PayoutsUnitOfWork,
)
from services.payouts.domain.payout import Payout

log = logging.getLogger(__name__)
CrashPoint = Callable[..., None]
COMPENSATION_ATTEMPTS = 3


def _hold(payout: Payout, now, outcome: Hold) -> None:
    if outcome.held:
        payout.held(outcome.amount, outcome.commission_ids, outcome.adjustment_ids, now,
                    outcome.commission_brands)
    else:
        payout.nothing_to_hold(outcome.amount, now)


def _paid(payout: Payout, now, outcome: PaymentResult) -> None:
    if outcome.paid:
        payout.paid_by_psp(outcome.reference, now)
    else:
        payout.declined_by_psp(outcome.reason or "declined", now)


# Fault-injection points (ALPES_FAULTS) between a call and the record of its outcome.
CRASH_POINTS = {"hold": "crash_after_hold_call", "pay": "crash_after_psp_call",
                "confirm": "crash_after_confirm_call", "compensate": "crash_after_release_call"}

APPLY = {
    "hold": _hold,
    "pay": _paid,
    "confirm": lambda payout, now, outcome: payout.confirmed(now),
    "compensate": lambda payout, now, outcome: payout.compensated(now),
}


class SagaRunner:
    def __init__(self, *, uow: PayoutsUnitOfWork, ledger: CommissionsLedger,
                 psp: PaymentProvider, clock, crash_point: CrashPoint, lease: timedelta,
                 retry_delay: timedelta):
        self.uow = uow
        self.ledger = ledger
        self.psp = psp
        self.clock = clock
        self.crash_point = crash_point
        self.lease = lease
        self.retry_delay = retry_delay

    def run(self, payout: Payout) -> Payout:
        while payout.next_step is not None:
            step = payout.next_step
            try:
                outcome = self._call(step, payout)
            except Exception as error:  # the outcome is unknown
                self._record(payout, functools.partial(self._failed, step=step, error=error))
                return payout
            self.crash_point(CRASH_POINTS[step], [payout.id])
            apply = functools.partial(APPLY[step], outcome=outcome)
            if self._record(payout, apply) is None:
                return payout
        self._record(payout, lambda p, now: p.let_go())
        return payout

    def _call(self, step: str, payout: Payout):
        if step != "compensate":
            return self._call_once(step, payout)
        for attempt in range(1, COMPENSATION_ATTEMPTS + 1):
            try:
                return self._call_once(step, payout)
            except ServiceUnavailable as error:
                if attempt == COMPENSATION_ATTEMPTS:
                    raise
                log.warning("payout %s: release not answered (%s); asking again (%d/%d)",
                            payout.id, error, attempt + 1, COMPENSATION_ATTEMPTS)
                if self._record(payout, lambda p, now: None) is None:  # keep the lease
                    raise

    def _call_once(self, step: str, payout: Payout):
        if step == "hold":
            return self.ledger.hold(payout.id, payout.partner_id, payout.currency,
                                    payout.min_amount)
        if step == "pay":
            return self.psp.pay(PaymentRequest(
                idempotency_key=payout.id, payee_id=payout.partner_id,
                payout_method=payout.payout_method, amount=payout.amount,
                description=f"AlpesPartners payout {payout.cycle}"))
        if step == "confirm":
            return self.ledger.confirm(payout.id)
        return self.ledger.release(payout.id)

    def _failed(self, payout: Payout, now, *, step: str, error: Exception) -> None:
        text = f"{type(error).__name__}: {error}"[:500]
        if step == "compensate":
            log.error("payout %s: compensation failed, COMPENSATION_FAILED (%s); "
                      "retry_payout resumes it", payout.id, text)
            payout.compensation_failed(text, now)
            return
        log.warning("payout %s: step %s failed (%s); repeating it in %ss", payout.id, step,
                    text, self.retry_delay.total_seconds())
        payout.step_error(step, text, now + self.retry_delay, now)

    def _record(self, payout: Payout, change) -> Payout | None:
        try:
            with self.uow:
                now = self.clock()
                payout.renew(now, self.lease)
                change(payout, now)
                self.uow.payouts.save(payout)
                self.uow.commit()
        except ConcurrencyConflict:
            log.warning("payout %s was taken over by another runner; stopping here", payout.id)
            return None
        return payout
