"""Entities, aggregate roots and value objects."""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from common.seedwork.domain.events import DomainEvent


def new_id() -> str:
    """A new random identifier (UUID4, textual form). Never sequential, never guessable."""
    return str(uuid.uuid4())


class Entity:
    """Something with an identity that persists through changes. Equal by id."""

    id: str

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self), self.id))


class AggregateRoot(Entity):
    """A consistency boundary: loaded, changed and saved as a whole.

    Records the domain events of its changes; the unit of work collects them on commit.
    ``version`` is the optimistic-concurrency counter kept by the repository.
    """

    version: int = 0

    def record(self, event: DomainEvent) -> None:
        self._pending_events().append(event)

    def pull_events(self) -> list[DomainEvent]:
        events = self._pending_events()
        self.__dict__["_events"] = []
        return list(events)

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._pending_events())

    def _pending_events(self) -> list[DomainEvent]:
        # Created lazily: aggregates rebuilt by a repository never ran __init__ logic twice.
        return self.__dict__.setdefault("_events", [])


@dataclasses.dataclass(frozen=True)
class ValueObject:
    """Immutable, equal by value. Subclasses are frozen dataclasses."""

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)
