"""In-memory fakes of the commissions repositories and of the campaigns budget."""
from __future__ import annotations

from datetime import timedelta

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, ServiceUnavailable
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.commissions.application.integration_events import TRANSLATOR
from services.commissions.domain.budget import Reservation
from services.commissions.domain.clicks import DailyClickAllowance, allowance_id
from services.commissions.domain.ledger import PartnerLedger, ledger_id


class FakeCommissions(InMemoryRepository):
    def get_many(self, ids):
        return sorted(self.find(lambda c: c.id in set(ids)), key=lambda c: c.id)

    def approved_for(self, partner_id, currency):
        return sorted(self.find(lambda c: (c.partner_id, c.currency, c.status.value)
                                == (partner_id, currency, "APPROVED")), key=lambda c: c.id)

    def due_for_approval(self, now, limit):
        return [c.id for c in self.items.values() if c.is_due(now)][:limit]


class FakeAdjustments(InMemoryRepository):
    def get_many(self, ids):
        return sorted(self.find(lambda a: a.id in set(ids)), key=lambda a: a.id)

    def open_for(self, partner_id, currency):
        return sorted(self.find(lambda a: (a.partner_id, a.currency, a.status.value)
                                == (partner_id, currency, "OPEN")), key=lambda a: a.id)


class FakeLedgers(InMemoryRepository):
    def lock(self, partner_id, currency, now):
        ledger = self.get(ledger_id(partner_id, currency))
        if ledger is None:
            ledger = PartnerLedger(partner_id=partner_id, currency=currency, updated_at=now)
            self.add(ledger)
        return ledger


class FakeAllowances(InMemoryRepository):
    def lock(self, partner_id, campaign_id, day, now):
        found = self.get(allowance_id(partner_id, campaign_id, day))
        if found is None:
            found = DailyClickAllowance(partner_id=partner_id, campaign_id=campaign_id, day=day,
                                        paid_clicks=0, updated_at=now)
            self.add(found)
        return found


class FakeReleaseQueue(AbstractRepository):
    def __init__(self):
        super().__init__()
        self.items = {}  # release_id -> [release, status, next_attempt_at, attempts]

    def add(self, release):
        self.items.setdefault(release.release_id, [release, "PENDING", release.created_at, 0])

    def due(self, now, limit, ids=None):
        return [release for release, status, at, _ in self.items.values()
                if status == "PENDING" and at <= now
                and (ids is None or release.release_id in ids)][:limit]

    def sent(self, release_id, now):
        self.items[release_id][1] = "SENT"

    def failed(self, release_id, error, now):
        entry = self.items[release_id]
        entry[3] += 1
        entry[2] = now + timedelta(seconds=2 ** entry[3])

    def pending(self):
        return [entry[0] for entry in self.items.values() if entry[1] == "PENDING"]


class FakeParkedRefunds(AbstractRepository):
    def __init__(self, commissions: FakeCommissions):
        super().__init__()
        self.items = {}  # (conversion_id, refund_id) -> refund
        self._commissions = commissions

    def park(self, conversion_id, refund, now):
        self.items.setdefault((conversion_id, refund.refund_id), refund)

    def for_conversion(self, conversion_id):
        return [r for (c, _), r in self.items.items() if c == conversion_id]

    def remove(self, conversion_id, refund_id):
        self.items.pop((conversion_id, refund_id), None)

    def with_commission(self, limit):
        known = {c.source.conversion_id for c in self._commissions.items.values()}
        return sorted({c for c, _ in self.items if c in known})[:limit]


def fake_uow():
    commissions = FakeCommissions()
    return InMemoryUnitOfWork(
        translator=TRANSLATOR, commissions=commissions, adjustments=FakeAdjustments(),
        ledgers=FakeLedgers(), holds=InMemoryRepository(), allowances=FakeAllowances(),
        releases=FakeReleaseQueue(), parked_refunds=FakeParkedRefunds(commissions))


class FakeBudget:
    """campaigns' budget in memory: idempotent reservations and releases, exhaustion,
    and outages on demand (the next ``down`` calls fail with ServiceUnavailable)."""

    def __init__(self, budgets: dict[str, Money] | None = None):
        self.budgets = dict(budgets or {})
        self.reservations: dict[str, tuple[str, Money]] = {}  # id -> (campaign, amount)
        self.releases: dict[str, tuple[str, Money]] = {}      # release id -> (reservation, amount)
        self.reserve_calls = 0
        self.down = 0
        self.on_reserve = None

    def reserve(self, campaign_id, reservation_id, amount):
        self._maybe_down()
        self.reserve_calls += 1
        if self.on_reserve:
            self.on_reserve()
        if reservation_id in self.reservations:
            if self.reservations[reservation_id] != (campaign_id, amount):
                raise Conflict("Reservation id already used for another request.")
            return Reservation(True)
        budget = self.budgets.get(campaign_id)
        if budget is not None and self.remaining(campaign_id) < amount:
            return Reservation(False, "budget_exhausted")
        self.reservations[reservation_id] = (campaign_id, amount)
        return Reservation(True)

    def release(self, release):
        self._maybe_down()
        self.releases.setdefault(release.release_id, (release.reservation_id, release.amount))

    def held_by(self, reservation_id) -> Money:
        """What a reservation still holds: reserved minus released."""
        _, reserved = self.reservations[reservation_id]
        back = [amount for owner, amount in self.releases.values() if owner == reservation_id]
        return reserved - sum(back, Money.zero(reserved.currency))

    def remaining(self, campaign_id) -> Money:
        budget = self.budgets[campaign_id]
        held = [self.held_by(r) for r, (c, _) in self.reservations.items() if c == campaign_id]
        return budget - sum(held, Money.zero(budget.currency))

    def _maybe_down(self):
        if self.down:
            self.down -= 1
            raise ServiceUnavailable("campaigns did not answer.", {"service": ["campaigns"]})
