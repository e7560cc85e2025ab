"""The tracking unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.tracking.infrastructure.repositories import (
    SqlClickBatches,
    SqlClicks,
    SqlConversions,
    SqlReferences,
    SqlStats,
)


class SqlTrackingUnitOfWork(SqlAlchemyUnitOfWork):
    references: SqlReferences
    clicks: SqlClicks
    click_batches: SqlClickBatches
    conversions: SqlConversions
    stats: SqlStats

    def _bind(self, connection: Connection) -> None:
        self.references = SqlReferences(connection)
        self.clicks = SqlClicks(connection)
        self.click_batches = SqlClickBatches(connection)
        self.conversions = SqlConversions(connection)
        self.stats = SqlStats(connection)
