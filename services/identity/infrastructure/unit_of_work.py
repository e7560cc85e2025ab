"""The identity unit of work over SQL: its repositories, named (see application/ports.py)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from services.identity.infrastructure.repositories import (
    SqlAccountRepository,
    SqlApiKeyRepository,
    SqlInvitationRepository,
    SqlPasswordResetRepository,
    SqlSessionRepository,
    SqlThrottleRepository,
)


class SqlIdentityUnitOfWork(SqlAlchemyUnitOfWork):
    accounts: SqlAccountRepository
    sessions: SqlSessionRepository
    api_keys: SqlApiKeyRepository
    invitations: SqlInvitationRepository
    password_resets: SqlPasswordResetRepository
    throttles: SqlThrottleRepository

    def _bind(self, connection: Connection) -> None:
        self.accounts = SqlAccountRepository(connection)
        self.sessions = SqlSessionRepository(connection)
        self.api_keys = SqlApiKeyRepository(connection)
        self.invitations = SqlInvitationRepository(connection)
        self.password_resets = SqlPasswordResetRepository(connection)
        self.throttles = SqlThrottleRepository(connection)
