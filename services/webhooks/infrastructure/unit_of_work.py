"""The webhooks unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.webhooks.infrastructure.repositories import (
    SqlDeliveryRepository,
    SqlEndpointRepository,
    SqlReplicas,
)


class SqlWebhooksUnitOfWork(SqlAlchemyUnitOfWork):
    endpoints: SqlEndpointRepository
    deliveries: SqlDeliveryRepository
    replicas: SqlReplicas

    def _bind(self, connection: Connection) -> None:
        self.endpoints = SqlEndpointRepository(connection)
        self.deliveries = SqlDeliveryRepository(connection)
        self.replicas = SqlReplicas(connection)
