"""The partners unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.partners.infrastructure.repositories import SqlPartnerRepository


class SqlPartnersUnitOfWork(SqlAlchemyUnitOfWork):
    partners: SqlPartnerRepository

    def _bind(self, connection: Connection) -> None:
        self.partners = SqlPartnerRepository(connection)
