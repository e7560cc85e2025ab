"""What the commissions use cases need from the outside world (implemented in
infrastructure, faked in unit tests)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from common.seedwork.domain.money import Money
from services.commissions.domain.adjustment import Adjustment
from services.commissions.domain.balances import BalancesSnapshot, BudgetBalance, LedgerBalance
from services.commissions.domain.campaign_budget import CampaignBudget
from services.commissions.domain.clicks import DailyClickAllowance
from services.commissions.domain.commission import Commission, Refund
from services.commissions.domain.ledger import PartnerLedger
from services.commissions.domain.payout_hold import PayoutHold


class CommissionRepository(Protocol):
    def recorded_or_parked(self, commission_id: str, conversion_id: str) -> tuple[bool, bool]:
        """(the commission is recorded, refunds are parked for its conversion), read
        together: what recording a conversion's commission needs to know first."""

    def add(self, commission: Commission) -> None: ...
    def save(self, commission: Commission) -> None: ...
    def get(self, commission_id: str, *, for_update: bool = False) -> Commission | None: ...
    def get_many(self, ids: Sequence[str]) -> list[Commission]: ...
    def approved_for(self, partner_id: str, currency: str) -> list[Commission]: ...


class AdjustmentRepository(Protocol):
    def add(self, adjustment: Adjustment) -> None: ...
    def save(self, adjustment: Adjustment) -> None: ...
    def get_many(self, ids: Sequence[str]) -> list[Adjustment]: ...
    def open_for(self, partner_id: str, currency: str) -> list[Adjustment]: ...


class LedgerRepository(Protocol):
    def lock(self, partner_id: str, currency: str, now: datetime) -> PartnerLedger:
        """The partner's ledger in that currency, locked for this transaction (created
        empty if it does not exist yet)."""

    def save(self, ledger: PartnerLedger) -> None: ...


class HoldRepository(Protocol):
    def add(self, hold: PayoutHold) -> None: ...
    def save(self, hold: PayoutHold) -> None: ...
    def get(self, payout_id: str, *, for_update: bool = False) -> PayoutHold | None: ...


class AllowanceRepository(Protocol):
    def lock(self, partner_id: str, campaign_id: str, day: date,
             now: datetime) -> DailyClickAllowance: ...
    def save(self, allowance: DailyClickAllowance) -> None: ...


class CampaignBudgets(Protocol):
    """Each campaign's budget, as commissions promise it (see domain/campaign_budget.py)."""

    def get(self, campaign_id: str, *, for_update: bool = False) -> CampaignBudget | None: ...
    def add(self, budget: CampaignBudget) -> None: ...
    def save(self, budget: CampaignBudget) -> None: ...
    def owed_so_far(self, campaign_id: str, currency: str) -> Money:
        """What the commissions already recorded for the campaign owe."""


class Balances(Protocol):
    """Ledgers and budgets marked changed, for the ``balances_changed`` batches."""

    def any_changed(self) -> bool: ...
    def changed_budgets(self, limit: int) -> list[BudgetBalance]:
        """Budgets changed since last published (with their PENDING commissions),
        locked against other instances."""
    def changed_ledgers(self, limit: int) -> list[LedgerBalance]: ...
    def publish(self, snapshot: BalancesSnapshot) -> None:
        """Unmark the snapshot's rows (at the revisions it carries); its event goes out."""


class ParkedRefunds(Protocol):
    """Refunds that arrived before their conversion's commission existed."""

    def park(self, conversion_id: str, refund: Refund, now: datetime) -> None: ...
    def for_conversion(self, conversion_id: str) -> list[Refund]: ...
    def remove(self, conversion_id: str, refund_id: str) -> None: ...


class CommissionsUnitOfWork(UnitOfWork, Protocol):
    """What commissions' use cases see of their unit of work."""

    commissions: CommissionRepository
    adjustments: AdjustmentRepository
    ledgers: LedgerRepository
    holds: HoldRepository
    allowances: AllowanceRepository
    budgets: CampaignBudgets
    parked_refunds: ParkedRefunds
    balances: Balances
