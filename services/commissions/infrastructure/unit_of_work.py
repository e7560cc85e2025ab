"""The commissions unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.commissions.infrastructure.balances import SqlBalances
from services.commissions.infrastructure.repositories import (
    SqlAdjustmentRepository,
    SqlAllowanceRepository,
    SqlCampaignBudgetRepository,
    SqlCommissionRepository,
    SqlHoldRepository,
    SqlLedgerRepository,
    SqlParkedRefunds,
)


class SqlCommissionsUnitOfWork(SqlAlchemyUnitOfWork):
    commissions: SqlCommissionRepository
    adjustments: SqlAdjustmentRepository
    ledgers: SqlLedgerRepository
    holds: SqlHoldRepository
    allowances: SqlAllowanceRepository
    budgets: SqlCampaignBudgetRepository
    parked_refunds: SqlParkedRefunds
    balances: SqlBalances

    def _bind(self, connection: Connection) -> None:
        self.commissions = SqlCommissionRepository(connection)
        self.adjustments = SqlAdjustmentRepository(connection)
        self.ledgers = SqlLedgerRepository(connection)
        self.holds = SqlHoldRepository(connection)
        self.allowances = SqlAllowanceRepository(connection)
        self.budgets = SqlCampaignBudgetRepository(connection)
        self.parked_refunds = SqlParkedRefunds(connection)
        self.balances = SqlBalances(connection)
