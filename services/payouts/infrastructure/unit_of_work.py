"""The payouts unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.payouts.infrastructure.repositories import SqlPayeeRepository, SqlPayoutRepository


class SqlPayoutsUnitOfWork(SqlAlchemyUnitOfWork):
    payouts: SqlPayoutRepository
    payees: SqlPayeeRepository

    def _bind(self, connection: Connection) -> None:
        self.payouts = SqlPayoutRepository(connection)
        self.payees = SqlPayeeRepository(connection)
