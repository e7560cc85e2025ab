"""Integration events: the envelope that crosses service boundaries.

Every message on the wire is a JSON object::

    {"event_id": uuid, "type": "partner_registered", "version": 1, "source": "partners",
     "occurred_at": "2026-11-29T12:00:00Z", "correlation_id": ..., "causation_id": ...,
     "payload": {...}}

Consumers tolerate unknown envelope and payload fields; a breaking change is a new version.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from common.seedwork.domain.clock import isoformat, utcnow
from common.seedwork.domain.events import DomainEvent
from common.seedwork.errors import ValidationError

ENVELOPE_FIELDS = ("event_id", "type", "version", "occurred_at", "payload")


@dataclasses.dataclass(frozen=True)
class MessageContext:
    """Who asked: the correlation id of the whole conversation and the id of the
    message (command or event) that caused the current unit of work."""

    correlation_id: str | None = None
    causation_id: str | None = None


@dataclasses.dataclass(frozen=True)
class IntegrationEvent:
    event_id: str
    type: str
    version: int
    source: str
    occurred_at: str
    payload: dict[str, Any]
    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def new(cls, *, source: str, type: str, version: int, payload: dict[str, Any],
            context: MessageContext | None = None,
            occurred_at: datetime | None = None) -> "IntegrationEvent":
        context = context or MessageContext()
        return cls(
            event_id=str(uuid.uuid4()), type=type, version=version, source=source,
            occurred_at=isoformat(occurred_at or utcnow()), payload=payload,
            correlation_id=context.correlation_id, causation_id=context.causation_id,
        )

    def to_message(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_message(cls, body: Any) -> "IntegrationEvent":
        """Parse a received envelope; unknown fields are ignored, missing ones refused."""
        if not isinstance(body, dict):
            raise ValidationError("Malformed event envelope.", {"_envelope": ["Not an object."]})
        missing = {name: ["Missing."] for name in ENVELOPE_FIELDS if name not in body}
        if missing:
            raise ValidationError("Malformed event envelope.", missing)
        if not isinstance(body["payload"], dict):
            raise ValidationError("Malformed event envelope.", {"payload": ["Not an object."]})
        return cls(
            event_id=str(body["event_id"]), type=str(body["type"]), version=int(body["version"]),
            source=str(body.get("source", "")), occurred_at=str(body["occurred_at"]),
            payload=body["payload"], correlation_id=body.get("correlation_id"),
            causation_id=body.get("causation_id"),
        )


class EventContract(Protocol):
    """What the translator needs of a contract (see common.contracts)."""

    source: str
    name: str
    version: int

    def serialize(self, payload: dict[str, Any]) -> dict[str, Any]: ...


Translation = Callable[[DomainEvent], dict[str, Any]]


class EventTranslator:
    """Maps a service's domain events to the integration events it publishes.

    Domain events without a mapping stay inside the service.
    """

    def __init__(self) -> None:
        self._table: dict[type[DomainEvent], list[tuple[EventContract, Translation]]] = {}

    def register(self, event_type: type[DomainEvent], contract: EventContract,
                 translate: Translation) -> None:
        self._table.setdefault(event_type, []).append((contract, translate))

    def maps(self, event_type: type[DomainEvent], contract: EventContract):
        def decorator(translate: Translation) -> Translation:
            self.register(event_type, contract, translate)
            return translate

        return decorator

    def translate(self, events: Iterable[DomainEvent],
                  context: MessageContext) -> list[IntegrationEvent]:
        messages = []
        for event in events:
            for contract, translate in self._table.get(type(event), ()):
                messages.append(IntegrationEvent.new(
                    source=contract.source, type=contract.name, version=contract.version,
                    payload=contract.serialize(translate(event)), context=context,
                    occurred_at=event.occurred_at,
                ))
        return messages
