"""The campaigns unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.campaigns.infrastructure.repositories import (
    SqlBrandRepository,
    SqlCampaignRepository,
    SqlEnrollmentRepository,
    SqlPartnerReplicaRepository,
)


class SqlCampaignsUnitOfWork(SqlAlchemyUnitOfWork):
    brands: SqlBrandRepository
    campaigns: SqlCampaignRepository
    enrollments: SqlEnrollmentRepository
    partners: SqlPartnerReplicaRepository

    def _bind(self, connection: Connection) -> None:
        self.brands = SqlBrandRepository(connection)
        self.campaigns = SqlCampaignRepository(connection)
        self.enrollments = SqlEnrollmentRepository(connection)
        self.partners = SqlPartnerReplicaRepository(connection)
