"""The Unit of Work: one transaction per command.

* ``with uow:`` opens the transaction; leaving the block without ``uow.commit()`` rolls
  it back (errors included).
* ``commit()`` collects the domain events of every aggregate the repositories saw,
  translates them into integration events, writes those to the outbox *in the same
  transaction*, records the inbox entry if the work was caused by a received event,
  commits, and only then tells the after-commit listeners (the outbox relay).
* With an inbox key set (the work was caused by a received event), entering the
  transaction first claims ``(consumer, event_id)`` in the inbox table. A message already
  processed -- or being processed by a concurrent duplicate that then commits -- makes
  the claim fail and raises :class:`AlreadyProcessed`, which the bus turns into a no-op.
  The claim commits or rolls back with the handler's effects, never apart from them.
* After-commit listeners run once the transaction's connection (and, on SQLite, the
  process write lock) is released, even if the block raises after committing.
* ``with uow.peek():`` gives the same repositories for a look before deciding whether
  there is anything to do: a read of committed data with no inbox claim, nothing to
  commit and, on SQL, no write lock. Read only: nothing written through them is ever
  committed. The decision is taken again inside ``with uow:``, where it counts.
"""
from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, Self

from common.seedwork.application.integration import (
    EventTranslator,
    IntegrationEvent,
    MessageContext,
)
from common.seedwork.domain.events import DomainEvent
from common.seedwork.errors import AlreadyProcessed

AfterCommit = Callable[[list[IntegrationEvent]], None]


class UnitOfWork(Protocol):
    """What every use case may do with its unit of work. Each service's
    ``application/ports.py`` extends it with its repositories::

        class PartnersUnitOfWork(UnitOfWork, Protocol):
            partners: PartnerRepository
    """

    committed_events: list[IntegrationEvent]

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: Any) -> None: ...

    def commit(self) -> list[IntegrationEvent]: ...

    def rollback(self) -> None: ...

    def peek(self) -> contextlib.AbstractContextManager[Self]: ...

    def read(self) -> contextlib.AbstractContextManager[Any]:
        """A read-only connection for views (SQL units of work)."""


class AbstractRepository:
    """Keeps the aggregates it handed out or took in, so the UoW can collect events.

    By object, not by id: entities are equal by id, and one transaction may load the same
    aggregate twice (two objects); the events recorded on either must not be lost."""

    def __init__(self) -> None:
        self.seen: dict[int, Any] = {}

    def _track(self, aggregate):
        if aggregate is not None:
            self.seen[id(aggregate)] = aggregate
        return aggregate


class AbstractUnitOfWork(abc.ABC):
    def __init__(self, translator: EventTranslator | None = None,
                 context: MessageContext | None = None,
                 inbox_key: tuple[str, str] | None = None) -> None:
        self.translator = translator or EventTranslator()
        self.context = context or MessageContext()
        self.inbox_key = inbox_key  # (consumer, event_id) when handling a received event
        self.after_commit: list[AfterCommit] = []
        self.committed_events: list[IntegrationEvent] = []
        self._committed = False

    # transaction boundary ------------------------------------------------------------
    def __enter__(self):
        self._committed = False
        self._to_announce: list[IntegrationEvent] = []
        self._begin()
        if self.inbox_key is not None:
            try:
                claimed = self._claim_inbox(*self.inbox_key)
            except BaseException:
                self._rollback()
                self._end()
                raise
            if not claimed:
                self._rollback()
                self._end()
                raise AlreadyProcessed(self.inbox_key)
        return self

    def __exit__(self, *exc_info):
        try:
            if not self._committed:
                self._rollback()
        finally:
            self._end()
        announce, self._to_announce = self._to_announce, []
        if announce:
            for listener in self.after_commit:
                listener(announce)

    def commit(self) -> list[IntegrationEvent]:
        messages = self.translator.translate(self.collect_new_events(), self.context)
        if messages:
            self._add_to_outbox(messages)
        self._commit()
        self._committed = True
        self.inbox_key = None  # one guarded transaction per received event
        self.committed_events.extend(messages)
        self._to_announce.extend(messages)
        return messages

    def rollback(self) -> None:
        self._rollback()

    @contextlib.contextmanager
    def peek(self) -> Iterator["AbstractUnitOfWork"]:
        with self._peek():
            yield self

    def collect_new_events(self) -> Iterable[DomainEvent]:
        for repository in self.repositories():
            for aggregate in list(repository.seen.values()):
                yield from aggregate.pull_events()
            repository.seen.clear()

    # to implement ----------------------------------------------------------------------
    @abc.abstractmethod
    def repositories(self) -> Iterable[AbstractRepository]: ...

    @abc.abstractmethod
    def _begin(self) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None: ...

    @abc.abstractmethod
    def _peek(self) -> contextlib.AbstractContextManager: ...

    def _end(self) -> None:  # noqa: B027 - optional hook
        """Release the transaction's resources (connection, locks)."""

    @abc.abstractmethod
    def _add_to_outbox(self, messages: list[IntegrationEvent]) -> None: ...

    @abc.abstractmethod
    def _claim_inbox(self, consumer: str, event_id: str) -> bool:
        """Record the message as processed, in this transaction. False if it already is."""
