"""In-memory repository and unit of work: the fakes unit tests run the handlers on.

They behave like the real ones where it matters: changes made inside ``with uow:``
vanish unless committed, ``get`` hands out a copy (two loads are two objects, and a
change is stored only by ``add``/``save``, as a row is), ``save`` checks versions, the
inbox refuses a message twice and the outbox keeps every integration event committed.
"""
from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from common.seedwork.application.integration import (
    EventTranslator,
    IntegrationEvent,
    MessageContext,
)
from common.seedwork.application.unit_of_work import AbstractRepository, AbstractUnitOfWork
from common.seedwork.domain.entity import AggregateRoot
from common.seedwork.errors import ConcurrencyConflict

A = TypeVar("A", bound=AggregateRoot)


class InMemoryRepository(AbstractRepository, Generic[A]):
    def __init__(self, items: Iterable[A] = ()):
        super().__init__()
        self.items: dict[str, A] = {item.id: item for item in items}

    def add(self, aggregate: A) -> None:
        aggregate.version = 1
        self.items[aggregate.id] = _stored(aggregate)
        self._track(aggregate)

    def save(self, aggregate: A) -> None:
        stored = self.items.get(aggregate.id)
        if stored is None or stored.version != aggregate.version:
            raise ConcurrencyConflict(
                f"{type(aggregate).__name__} {aggregate.id} was changed concurrently; retry.")
        aggregate.version += 1
        self.items[aggregate.id] = _stored(aggregate)
        self._track(aggregate)

    def get(self, aggregate_id: str, *, for_update: bool = False) -> A | None:
        """A copy, as a database load is: two loads of one aggregate are two objects,
        and a change reaches ``items`` only through ``save``."""
        stored = self.items.get(str(aggregate_id))
        return None if stored is None else self._track(_loaded(stored))

    def find(self, predicate: Callable[[A], bool]) -> list[A]:
        return [self._track(_loaded(item)) for item in self.items.values() if predicate(item)]

    def first(self, predicate: Callable[[A], bool]) -> A | None:
        found = self.find(predicate)
        return found[0] if found else None


def _stored(aggregate: A) -> A:
    """What the fake keeps: a copy without the pending domain events (a row has none)."""
    stored = copy.deepcopy(aggregate)
    stored.__dict__["_events"] = []
    return stored


def _loaded(stored: A) -> A:
    return copy.deepcopy(stored)


class InMemoryUnitOfWork(AbstractUnitOfWork):
    def __init__(self, translator: EventTranslator | None = None,
                 context: MessageContext | None = None, **repositories: AbstractRepository):
        super().__init__(translator=translator, context=context)
        self._names = list(repositories)
        for name, repository in repositories.items():
            setattr(self, name, repository)
        self.outbox: list[IntegrationEvent] = []
        self.inbox: set[tuple[str, str]] = set()
        self.commits = 0
        self._snapshot = None

    def repositories(self) -> Iterable[AbstractRepository]:
        return [getattr(self, name) for name in self._names]

    def _begin(self) -> None:
        self._snapshot = {name: copy.deepcopy(getattr(self, name).__dict__) for name in self._names}
        self._pending_outbox: list[IntegrationEvent] = []
        self._pending_inbox: set[tuple[str, str]] = set()

    def _commit(self) -> None:
        self.outbox.extend(self._pending_outbox)
        self.inbox |= self._pending_inbox
        self.commits += 1
        self._snapshot = None

    def _rollback(self) -> None:
        if self._snapshot is not None:
            for name, state in self._snapshot.items():
                getattr(self, name).__dict__.update(state)
        self._snapshot = None

    @contextlib.contextmanager
    def _peek(self) -> Iterator[None]:
        self._begin()
        try:
            yield
        finally:
            self._rollback()

    def _add_to_outbox(self, messages: list[IntegrationEvent]) -> None:
        self._pending_outbox.extend(messages)

    def _claim_inbox(self, consumer: str, event_id: str) -> bool:
        key = (consumer, event_id)
        if key in self.inbox:
            return False
        self._pending_inbox.add(key)
        return True

    def published(self, event_type: str | None = None) -> list[IntegrationEvent]:
        return [m for m in self.outbox if event_type is None or m.type == event_type]
