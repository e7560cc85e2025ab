"""Unit of Work over one SQLAlchemy connection and transaction."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy.engine import Connection

from common.seedwork.application.integration import (
    EventTranslator,
    IntegrationEvent,
    MessageContext,
)
from common.seedwork.application.unit_of_work import AbstractRepository, AbstractUnitOfWork
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import InboxStore, OutboxStore

RepositoryFactory = Callable[[Connection], AbstractRepository]


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """``uow.<name>`` is a repository bound to this transaction's connection.

    ``uow.read()`` gives a read-only connection for views/query handlers.
    """

    def __init__(self, database: Database, *, repositories: dict[str, RepositoryFactory],
                 outbox: OutboxStore, inbox: InboxStore,
                 translator: EventTranslator | None = None,
                 context: MessageContext | None = None,
                 inbox_key: tuple[str, str] | None = None):
        super().__init__(translator=translator, context=context, inbox_key=inbox_key)
        self.database = database
        self._factories = repositories
        self._outbox = outbox
        self._inbox = inbox
        self.connection: Connection | None = None
        self._transaction = None
        self._lock = None

    def repositories(self) -> Iterable[AbstractRepository]:
        return [getattr(self, name) for name in self._factories if hasattr(self, name)]

    def _begin(self) -> None:
        self._lock = self.database.write_lock()
        self._lock.__enter__()
        try:
            self.connection = self.database.write_engine.connect()
            self._transaction = self.connection.begin()
        except BaseException:
            self._end()
            raise
        for name, factory in self._factories.items():
            setattr(self, name, factory(self.connection))

    def _commit(self) -> None:
        self._transaction.commit()

    def _rollback(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    def _end(self) -> None:
        try:
            if self.connection is not None:
                self.connection.close()
        finally:
            self.connection = None
            self._transaction = None
            for name in self._factories:
                self.__dict__.pop(name, None)
            lock, self._lock = self._lock, None
            if lock is not None:
                lock.__exit__(None, None, None)

    def _add_to_outbox(self, messages: list[IntegrationEvent]) -> None:
        self._outbox.add(self.connection, messages)

    def _claim_inbox(self, consumer: str, event_id: str) -> bool:
        return self._inbox.claim(self.connection, consumer, event_id)

    @contextlib.contextmanager
    def _peek(self) -> Iterator[None]:
        with self.database.reader() as conn:
            for name, factory in self._factories.items():
                setattr(self, name, factory(conn))
            try:
                yield
            finally:
                for name in self._factories:
                    self.__dict__.pop(name, None)

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.database.reader() as conn:
            yield conn
