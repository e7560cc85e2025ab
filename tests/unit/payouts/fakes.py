"""Fakes for the payouts use cases: repositories, a PSP, and the commissions ledger --
the real commissions use cases on their own in-memory fakes, so the saga runs against
the true ledger rules."""
from __future__ import annotations

from common.seedwork.application.bus import MessageBus
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, ServiceUnavailable
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.commissions.application import commands as commission_commands
from services.commissions.application.handlers import HANDLERS as COMMISSION_HANDLERS
from services.payouts.application.integration_events import TRANSLATOR
from services.payouts.application.ports import (
    Hold,
    Payable,
    PaymentProviderUnavailable,
    PaymentResult,
)
from services.payouts.domain.payout import ACTIVE, PayoutStatus
from tests.unit.commissions.builders import BRAND, CAMPAIGN
from tests.unit.commissions.fakes import fake_uow as commissions_uow


class FakePayouts(InMemoryRepository):
    """Refuses what the database's unique indexes refuse: a second payout of a partner in
    a cycle, a second one under way in a currency."""

    def add(self, payout):
        if self.by_key(payout.partner_id, payout.currency, payout.cycle) is not None:
            raise Conflict("This partner already has a payout in this cycle.")
        self._check_one_under_way(payout)
        self._append_log(payout)
        super().add(payout)

    def save(self, payout):
        self._check_one_under_way(payout)
        self._append_log(payout)
        super().save(payout)

    def _append_log(self, payout):
        """As the SQL repository does: the steps go to the log, not into the row."""
        self.log.setdefault(payout.id, []).extend(payout.new_steps)
        payout.new_steps = []

    def by_key(self, partner_id, currency, cycle):
        return self.first(lambda p: (p.partner_id, p.currency, p.cycle)
                          == (partner_id, currency, cycle))

    def under_way(self, partner_id, currency):
        return self.first(lambda p: (p.partner_id, p.currency) == (partner_id, currency)
                          and p.status in ACTIVE)

    def paid_since(self, partner_id, currency, since):
        paid = self.find(lambda p: (p.partner_id, p.currency) == (partner_id, currency)
                         and p.status is PayoutStatus.PAID and p.updated_at >= since)
        return max(paid, key=lambda p: p.updated_at, default=None)

    def _check_one_under_way(self, payout):
        other = self.under_way(payout.partner_id, payout.currency)
        if payout.status in ACTIVE and other is not None and other.id != payout.id:
            raise Conflict("This partner already has a payout under way.")

    def due(self, now, limit):
        return [p.id for p in self.items.values() if p.status in ACTIVE
                and (p.lease_until is None or p.lease_until <= now)
                and (p.next_attempt_at is None or p.next_attempt_at <= now)][:limit]

    @property
    def log(self):
        return self.__dict__.setdefault("_log", {})


def fake_uow():
    return InMemoryUnitOfWork(translator=TRANSLATOR, payouts=FakePayouts(),
                              payees=InMemoryRepository())


class FakePsp:
    """Remembers payments by idempotency key; declines or goes silent on demand."""

    def __init__(self):
        self.payments: dict[str, tuple[str, Money]] = {}
        self.calls = 0
        self.decline_next = 0
        self.silent_next = 0

    def pay(self, request):
        self.calls += 1
        if self.silent_next:
            self.silent_next -= 1
            raise PaymentProviderUnavailable("the PSP did not answer")
        if request.idempotency_key in self.payments:
            return PaymentResult(True, self.payments[request.idempotency_key][0])
        if self.decline_next:
            self.decline_next -= 1
            return PaymentResult(False, reason="forced_failure")
        reference = f"REF-{len(self.payments) + 1}"
        self.payments[request.idempotency_key] = (reference, request.amount)
        return PaymentResult(True, reference)


class InMemoryCommissions:
    """The CommissionsLedger port over the real commissions use cases, in memory."""

    def __init__(self, clock):
        self.uow = commissions_uow()
        self.bus = MessageBus(self.uow, COMMISSION_HANDLERS, {"clock": clock})
        self.bus.handle(commission_commands.FollowCampaignBudget(  # the builders' campaign
            campaign_id=CAMPAIGN, brand_id=BRAND, total=Money.of("1000000", "USD"),
            smallest=Money.of("0.01", "USD"), revision=1))
        self.down = set()  # names of the calls that fail with ServiceUnavailable
        self.unanswered: dict[str, int] = {}  # name -> how many next calls fail so
        self.calls: list[str] = []

    def list_payable(self, currency, min_amount):
        self._call("list_payable")
        payable = []
        for ledger in self.uow.ledgers.items.values():
            if ledger.currency == currency and ledger.payable.is_positive \
                    and ledger.payable >= min_amount:
                payable.append(Payable(ledger.partner_id, ledger.payable))
        return payable

    def hold(self, payout_id, partner_id, currency, min_amount):
        self._call("hold")
        held = self.bus.handle(commission_commands.HoldForPayout(
            payout_id=payout_id, partner_id=partner_id, currency=currency,
            min_amount=min_amount.amount))
        return Hold(held=held["status"] in ("HELD", "CONFIRMED"),
                    amount=Money.from_dict(held["amount"]),
                    commission_ids=tuple(held["commission_ids"]),
                    commission_brands=held.get("commission_brands"),
                    adjustment_ids=tuple(held["adjustment_ids"]))

    def confirm(self, payout_id):
        self._call("confirm")
        self.bus.handle(commission_commands.ConfirmPayout(payout_id=payout_id))

    def release(self, payout_id):
        self._call("release")
        self.bus.handle(commission_commands.ReleasePayout(payout_id=payout_id))

    def _call(self, name):
        self.calls.append(name)
        if name in self.down or self.unanswered.get(name, 0) > 0:
            self.unanswered[name] = max(0, self.unanswered.get(name, 0) - 1)
            raise ServiceUnavailable(f"commissions.{name} did not answer.")
