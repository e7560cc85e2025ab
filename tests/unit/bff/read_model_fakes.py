"""In-memory implementations of the read model's ports (services/bff/application/ports.py)."""
from __future__ import annotations

from decimal import Decimal

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.infrastructure.memory import InMemoryUnitOfWork
from services.bff.application.projection import Counts, is_newer


class FakeDocuments(AbstractRepository):
    """Rows by key, newest revision wins (as the SQL's ON CONFLICT ... WHERE)."""

    def __init__(self):
        super().__init__()
        self.rows: dict = {}

    def _keep(self, key, row, revision):
        held = self.rows.get(key)
        if is_newer(revision, held["revision"] if held else None):
            self.rows[key] = {**row, "revision": revision}


class FakeProfiles(FakeDocuments):
    def keep(self, profile, revision):
        held = self.rows.get(profile["partner_id"])
        reason = profile["suspension_reason"]
        if profile["status"] == "SUSPENDED" and reason is None and held:
            reason = held["suspension_reason"]
        self._keep(profile["partner_id"], {**profile, "suspension_reason": reason}, revision)


class FakeBrands(FakeDocuments):
    def keep(self, brand_id, brand):
        self.rows.setdefault(brand_id, dict(brand))


class FakeCampaigns(FakeDocuments):
    def keep(self, campaign_id, brand_id, campaign, revision, occurred_at, created):
        held = self.rows.get(campaign_id)
        self._keep(campaign_id, {"brand_id": brand_id, "campaign": campaign,
                                 "created_at": held["created_at"] if held else occurred_at},
                   revision)
        if created:
            self.rows[campaign_id]["created_at"] = occurred_at


class FakeEnrollments(FakeDocuments):
    def keep(self, enrollment_id, partner_id, enrolled_at, enrollment, revision):
        self._keep(enrollment_id, {"partner_id": partner_id, "enrolled_at": enrolled_at,
                                   "enrollment": enrollment}, revision)


class FakeEnrollmentStates(FakeDocuments):
    def keep(self, enrollment_id, brand_id, campaign_id, status, revision):
        self._keep(enrollment_id, {"brand_id": brand_id, "campaign_id": campaign_id,
                                   "status": status}, revision)


class FakeStats(AbstractRepository):
    def __init__(self):
        super().__init__()
        self.rows: dict = {}        # StatsKey -> StatsRow
        self.campaigns: dict = {}   # (campaign_id, day) -> Counts

    def held(self, rows):
        return {row.key: self.rows[row.key] for row in rows if row.key in self.rows}

    def store(self, rows):
        for row in rows:
            self.rows[row.key] = row

    def add_to_campaigns(self, changes):
        for (campaign_id, day, _currency), delta in changes.items():
            key = (campaign_id, day)
            self.campaigns[key] = self.campaigns.get(key, Counts()) + delta


class FakeBalances(AbstractRepository):
    def __init__(self):
        super().__init__()
        self.ledgers: dict = {}     # LedgerKey -> LedgerRow
        self.earnings: dict = {}    # (partner_id, day, currency) -> Decimal
        self.budgets = FakeDocuments()

    def held(self, rows):
        return {row.key: self.ledgers[row.key] for row in rows if row.key in self.ledgers}

    def store(self, rows):
        for row in rows:
            self.ledgers[row.key] = row

    def add_earnings(self, changes):
        for key, amount in changes.items():
            self.earnings[key] = self.earnings.get(key, Decimal(0)) + amount

    def keep_budgets(self, budgets):
        for budget in budgets:
            self.budgets._keep(budget["campaign_id"], dict(budget), budget["revision"])


def fake_uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(profiles=FakeProfiles(), brands=FakeBrands(),
                              campaigns=FakeCampaigns(), enrollments=FakeEnrollments(),
                              enrollment_states=FakeEnrollmentStates(), stats=FakeStats(),
                              balances=FakeBalances())
