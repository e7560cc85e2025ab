"""What the payout use cases need from the outside world: the commissions ledger (the
saga's other participant), a payment service provider, and the repositories."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from common.seedwork.domain.money import Money
from services.payouts.domain.payee import Payee
from services.payouts.domain.payout import Payout


@dataclasses.dataclass(frozen=True)
class Payable:
    partner_id: str
    amount: Money


@dataclasses.dataclass(frozen=True)
class Hold:
    held: bool
    amount: Money  # held net amount, or what was payable when nothing was held
    commission_ids: tuple[str, ...] = ()
    adjustment_ids: tuple[str, ...] = ()
    commission_brands: Mapping[str, str] | None = None  # None: the ledger did not say


class CommissionsLedger(Protocol):
    """The commissions service. Every call is idempotent by payout id; any may raise
    ServiceUnavailable (outcome unknown: ask again later)."""

    def list_payable(self, currency: str, min_amount: Money) -> list[Payable]: ...
    def hold(self, payout_id: str, partner_id: str, currency: str, min_amount: Money) -> Hold: ...
    def confirm(self, payout_id: str) -> None: ...
    def release(self, payout_id: str) -> None: ...


@dataclasses.dataclass(frozen=True)
class PaymentRequest:
    idempotency_key: str  # the payout id: the same payout is never paid twice
    payee_id: str
    payout_method: dict
    amount: Money
    description: str


@dataclasses.dataclass(frozen=True)
class PaymentResult:
    paid: bool
    reference: str | None = None
    reason: str | None = None  # why the PSP declined


class PaymentProviderUnavailable(Exception):
    """The PSP did not answer: whether it paid is unknown. Ask again with the same
    idempotency key; never compensate on this."""


class PaymentProvider(Protocol):
    def pay(self, request: PaymentRequest) -> PaymentResult: ...


class PayoutRepository(Protocol):
    """``add`` and ``save`` raise Conflict when the partner already has a payout in the
    cycle, or another one under way in the currency (a concurrent run won)."""

    def add(self, payout: Payout) -> None: ...
    def save(self, payout: Payout) -> None: ...
    def get(self, payout_id: str, *, for_update: bool = False) -> Payout | None: ...
    def by_key(self, partner_id: str, currency: str, cycle: str) -> Payout | None: ...
    def under_way(self, partner_id: str, currency: str) -> Payout | None: ...
    def paid_since(self, partner_id: str, currency: str, since: datetime) -> Payout | None: ...
    def due(self, now: datetime, limit: int) -> list[str]: ...


class PayeeRepository(Protocol):
    def add(self, payee: Payee) -> None: ...
    def save(self, payee: Payee) -> None: ...
    def get(self, partner_id: str, *, for_update: bool = False) -> Payee | None: ...


class PayoutsUnitOfWork(UnitOfWork, Protocol):
    """What payouts' use cases see of their unit of work."""

    payouts: PayoutRepository
    payees: PayeeRepository
