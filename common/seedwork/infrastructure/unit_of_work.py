"""Unit of Work over one SQLAlchemy session, connection and transaction.

Each service subclasses it and names its repositories in ``_bind``, so a handler's
``uow.partners`` is a real attribute (go-to-definition works) and the service's
``application/ports.py`` Protocol describes the same thing::

    class SqlPartnersUnitOfWork(SqlAlchemyUnitOfWork):
        def _bind(self, connection):
            self.partners = SqlPartnerRepository(connection)

Sessions come from ``sessions`` (in a Nameko service: the worker's nameko-sqlalchemy
session factory, whose worker teardown closes whatever a crash left open). Commits and
rollbacks are always explicit: ``with uow:`` rolls back unless ``uow.commit()`` ran.
``uow.read()`` gives a read-only connection for views/query handlers.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from common.seedwork.application.integration import (
    EventTranslator,
    IntegrationEvent,
    MessageContext,
)
from common.seedwork.application.unit_of_work import AbstractRepository, AbstractUnitOfWork
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import InboxStore, OutboxStore

SessionFactory = Callable[[], Session]


class SessionConnection:
    """The unit of work's connection as its repositories hold it. A session hands its
    connection back at commit; a statement after that (inside the same ``with uow:``)
    starts a new transaction, rolled back unless committed again."""

    __slots__ = ("_session", "_connection")

    def __init__(self, session: Session):
        self._session = session
        self._connection: Connection | None = session.connection()  # BEGIN (IMMEDIATE)

    def __getattr__(self, name: str):
        if self._connection is None:
            self._connection = self._session.connection()
        return getattr(self._connection, name)

    def committed(self) -> None:
        self._connection = None


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, database: Database, *, outbox: OutboxStore, inbox: InboxStore,
                 sessions: SessionFactory | None = None,
                 translator: EventTranslator | None = None,
                 context: MessageContext | None = None,
                 inbox_key: tuple[str, str] | None = None):
        super().__init__(translator=translator, context=context, inbox_key=inbox_key)
        self.database = database
        self._sessions = sessions or sessionmaker(bind=database.write_engine)
        self._outbox = outbox
        self._inbox = inbox
        self.session: Session | None = None
        self.connection: SessionConnection | None = None
        self._bound: tuple[str, ...] = ()
        self._lock = None

    # the service's repositories ----------------------------------------------------------
    def _bind(self, connection: Connection) -> None:
        """Set this unit of work's repositories over ``connection`` (subclasses)."""

    def repositories(self) -> Iterable[AbstractRepository]:
        return [self.__dict__[name] for name in self._bound]

    def _bind_repositories(self, connection: Connection) -> None:
        before = set(self.__dict__)
        self._bind(connection)
        self._bound = tuple(name for name in self.__dict__ if name not in before)

    def _unbind_repositories(self) -> None:
        for name in self._bound:
            self.__dict__.pop(name, None)
        self._bound = ()

    # transaction -------------------------------------------------------------------------
    def _begin(self) -> None:
        self._lock = self.database.write_lock()
        self._lock.__enter__()
        try:
            self.session = self._sessions()
            self.connection = SessionConnection(self.session)
        except BaseException:
            self._end()
            raise
        self._bind_repositories(self.connection)

    def _commit(self) -> None:
        self.session.commit()
        self.connection.committed()

    def _rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()

    def _end(self) -> None:
        try:
            if self.session is not None:
                self.session.close()
        finally:
            self.session = None
            self.connection = None
            self._unbind_repositories()
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
            self._bind_repositories(conn)
            try:
                yield
            finally:
                self._unbind_repositories()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.database.reader() as conn:
            yield conn
