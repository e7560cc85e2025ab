"""Payment service providers behind the ``PaymentProvider`` port, chosen in config.yaml
(``PAYOUTS.psp.adapter``). A real provider plugs in as another adapter here.

``SimulatedPsp`` behaves like a careful real one: it remembers every payment by its
idempotency key (in its own tables), so asking again for a key it already paid returns
that payment -- never a second one. Declines are not payments: a declined key may be
asked again later. Its knobs: ``latency_ms``, ``failure_rate`` (0..1, random declines)
and ``forced_failures`` (the first N payment attempts are declined, counted in its
records, so across restarts too).
"""
from __future__ import annotations

import random
import uuid
from typing import Any

import eventlet
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.database import Database
from services.payouts.application.ports import PaymentRequest, PaymentResult
from services.payouts.infrastructure.tables import psp_payments, psp_requests

FORCED = "forced_failure"
DEFAULTS = {"adapter": "simulated", "latency_ms": 0, "failure_rate": 0, "forced_failures": 0}


class SimulatedPsp:
    def __init__(self, database: Database, *, latency_ms: float = 0, failure_rate: float = 0,
                 forced_failures: int = 0, rng: random.Random | None = None,
                 sleep=eventlet.sleep):
        self.database = database
        self.latency = float(latency_ms) / 1000.0
        self.failure_rate = float(failure_rate)
        self.forced_failures = int(forced_failures)
        self.rng = rng or random.Random()
        self.sleep = sleep

    def pay(self, request: PaymentRequest) -> PaymentResult:
        paid = self._reference(request.idempotency_key)
        if paid is not None:
            return PaymentResult(True, paid)
        if self.latency:
            self.sleep(self.latency)
        with self.database.transaction() as conn:
            reason = self._decline_reason(conn)
            if reason is None:
                reference = self._record_payment(conn, request)
            conn.execute(insert(psp_requests).values(
                idempotency_key=request.idempotency_key, outcome="DECLINED" if reason else "PAID",
                reason=reason, at=utcnow()))
        if reason is not None:
            return PaymentResult(False, reason=reason)
        return PaymentResult(True, reference)

    def payments(self) -> list[dict[str, Any]]:
        """Every payment made (for operators and tests)."""
        with self.database.reader() as conn:
            return [dict(row._mapping) for row in conn.execute(select(psp_payments)).all()]

    def _reference(self, key: str) -> str | None:
        with self.database.reader() as conn:
            return conn.execute(select(psp_payments.c.reference).where(
                psp_payments.c.idempotency_key == key)).scalar()

    def _decline_reason(self, conn) -> str | None:
        if self.forced_failures:
            forced = conn.execute(select(func.count()).select_from(psp_requests).where(
                psp_requests.c.reason == FORCED)).scalar()
            if forced < self.forced_failures:
                return FORCED
        if self.failure_rate and self.rng.random() < self.failure_rate:
            return "simulated_decline"
        return None

    def _record_payment(self, conn, request: PaymentRequest) -> str:
        reference = f"SIM-{uuid.uuid4().hex[:16].upper()}"
        try:
            with conn.begin_nested():
                conn.execute(insert(psp_payments).values(
                    idempotency_key=request.idempotency_key, reference=reference,
                    payee_id=request.payee_id, amount=request.amount.amount,
                    currency=request.amount.currency, paid_at=utcnow()))
        except IntegrityError:  # a concurrent call with the same key paid first
            reference = conn.execute(select(psp_payments.c.reference).where(
                psp_payments.c.idempotency_key == request.idempotency_key)).scalar()
        return reference


def build_psp(settings: dict[str, Any] | None, database: Database):
    settings = {**DEFAULTS, **(settings or {})}
    if settings["adapter"] == "simulated":
        return SimulatedPsp(database, latency_ms=settings["latency_ms"],
                            failure_rate=settings["failure_rate"],
                            forced_failures=settings["forced_failures"])
    raise ValueError(f"unknown PSP adapter {settings['adapter']!r} (PAYOUTS.psp.adapter)")
