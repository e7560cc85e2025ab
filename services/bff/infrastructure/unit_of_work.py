"""The read model's unit of work over SQL: its repositories, named (application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.bff.infrastructure.repositories import (
    SqlBalances,
    SqlBrands,
    SqlCampaigns,
    SqlEnrollments,
    SqlEnrollmentStates,
    SqlProfiles,
    SqlStats,
)


class SqlReadModelUnitOfWork(SqlAlchemyUnitOfWork):
    profiles: SqlProfiles
    brands: SqlBrands
    campaigns: SqlCampaigns
    enrollments: SqlEnrollments
    enrollment_states: SqlEnrollmentStates
    stats: SqlStats
    balances: SqlBalances

    def _bind(self, connection: Connection) -> None:
        self.profiles = SqlProfiles(connection)
        self.brands = SqlBrands(connection)
        self.campaigns = SqlCampaigns(connection)
        self.enrollments = SqlEnrollments(connection)
        self.enrollment_states = SqlEnrollmentStates(connection)
        self.stats = SqlStats(connection)
        self.balances = SqlBalances(connection)
