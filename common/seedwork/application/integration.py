"""Integration events: the envelope that crosses service boundaries.

Every message on the wire is a JSON object::

    {"event_id": uuid, "type": "partner_registered", "version": 1, "source": "partners",
     "occurred_at": "2026-11-29T12:00:00Z", "correlation_id": ..., "causation_id": ...,
     "payload": {...}, "traceparent": "00-<trace id>-<span id>-01"}

``traceparent`` (optional, W3C trace context) names the producing worker's span when
tracing is on; it is left out otherwise. Consumers tolerate unknown envelope and payload
fields; a breaking change is a new version.

``receive`` is the one place that decides whether a consumer can use a message: a
malformed envelope, another event type, a version the consumer does not understand or a
payload that breaks its contract is a :class:`PoisonMessage` (dead-lettered at once by
the Nameko bridge, never retried: a retry cannot make it readable).
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar, Protocol

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
    traceparent: str | None = None   # the producing span (W3C), when tracing is on


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
    traceparent: str | None = None

    @classmethod
    def new(cls, *, source: str, type: str, version: int, payload: dict[str, Any],
            context: MessageContext | None = None,
            occurred_at: datetime | None = None) -> "IntegrationEvent":
        context = context or MessageContext()
        return cls(
            event_id=str(uuid.uuid4()), type=type, version=version, source=source,
            occurred_at=isoformat(occurred_at or utcnow()), payload=payload,
            correlation_id=context.correlation_id, causation_id=context.causation_id,
            traceparent=context.traceparent,
        )

    def to_message(self) -> dict[str, Any]:
        """The envelope, sharing ``payload`` (no deep copy: ``dataclasses.asdict`` copied
        every payload twice per event, once for the outbox row and once for the publish;
        nothing mutates it)."""
        message = {"event_id": self.event_id, "type": self.type, "version": self.version,
                   "source": self.source, "occurred_at": self.occurred_at,
                   "payload": self.payload, "correlation_id": self.correlation_id,
                   "causation_id": self.causation_id}
        if self.traceparent is not None:  # tracing off: the envelope as it always was
            message["traceparent"] = self.traceparent
        return message

    @classmethod
    def from_message(cls, body: Any) -> "IntegrationEvent":
        """Parse a received envelope; unknown fields are ignored, missing or mistyped
        ones refused field by field (:class:`MalformedEnvelope`)."""
        if not isinstance(body, dict):
            raise MalformedEnvelope("Malformed event envelope.", {"_envelope": ["Not an object."]})
        problems = {name: [problem] for name, problem in _envelope_problems(body).items()}
        if problems:
            raise MalformedEnvelope("Malformed event envelope.", problems)
        return cls(
            event_id=body["event_id"], type=body["type"], version=body["version"],
            source=body.get("source") or "", occurred_at=body["occurred_at"],
            payload=body["payload"], correlation_id=body.get("correlation_id"),
            causation_id=body.get("causation_id"), traceparent=_traceparent(body),
        )


def _traceparent(body: dict[str, Any]) -> str | None:
    """Optional and advisory: a malformed one is dropped, never poison."""
    value = body.get("traceparent")
    return value if isinstance(value, str) and 0 < len(value) <= 100 else None


def _envelope_problems(body: dict[str, Any]) -> dict[str, str]:
    problems = {name: "Missing." for name in ENVELOPE_FIELDS if name not in body}
    checks = {
        "event_id": (_is_uuid, "Not a UUID."),
        "type": (_is_name, "Not an event type name."),
        "version": (_is_version, "Not a positive integer."),
        "occurred_at": (_is_timestamp, "Not an ISO 8601 date-time."),
        "payload": (lambda value: isinstance(value, dict), "Not an object."),
        "source": (_is_optional_name, "Not a service name."),
        "correlation_id": (_is_optional_text, "Not a string."),
        "causation_id": (_is_optional_text, "Not a string."),
    }
    for name, (valid, problem) in checks.items():
        if name in body and name not in problems and not valid(body[name]):
            problems[name] = problem
    return problems


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 100


def _is_optional_name(value: Any) -> bool:
    return value is None or value == "" or _is_name(value)


def _is_optional_text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= 200)


def _is_version(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# poison: messages no consumer can use ----------------------------------------------------
class PoisonMessage(ValidationError):
    """A received message its consumer cannot use, whatever it retries: dead-lettered
    at once with ``reason`` (a stable name an operator reads in the dead letters)."""

    code = "poison_message"
    reason: ClassVar[str] = "poison"


class UndecodableMessage(PoisonMessage):
    """The body is not valid JSON (or not text at all)."""

    reason = "undecodable"


class ContentNotAccepted(PoisonMessage):
    """The content type is not one the consumer accepts (JSON only)."""

    reason = "content_type_not_accepted"


class MalformedEnvelope(PoisonMessage):
    """Not an envelope: not an object, fields missing or of the wrong type."""

    reason = "malformed_envelope"


class UnknownEventType(PoisonMessage):
    """The envelope names another event (or source) than the one the consumer reads."""

    reason = "unknown_event_type"


class UnknownEventVersion(PoisonMessage):
    """A version the consumer's contract does not list (e.g. from a newer producer)."""

    reason = "unknown_version"


class ContractViolation(PoisonMessage):
    """The payload does not satisfy its contract."""

    reason = "contract_violation"


POISON_REASONS = tuple(kind.reason for kind in (
    UndecodableMessage, ContentNotAccepted, MalformedEnvelope, UnknownEventType,
    UnknownEventVersion, ContractViolation))


@dataclasses.dataclass(frozen=True)
class ReceivedEvent:
    """An event a consumer can use: its envelope and its payload read by the contract
    (typed values, upgraded to the contract's current version)."""

    event_id: str
    type: str
    version: int
    source: str
    occurred_at: str
    data: dict[str, Any]
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None


class ReadableContract(Protocol):
    """What ``receive`` needs of a contract (see common.contracts)."""

    source: str
    name: str
    version: int

    @property
    def versions(self) -> tuple[int, ...]: ...

    def read(self, version: int, payload: dict[str, Any]) -> dict[str, Any]: ...


def receive(body: Any, contract: ReadableContract,
            versions: Iterable[int] | None = None) -> ReceivedEvent:
    """The event in ``body`` if this consumer can use it, else a :class:`PoisonMessage`.

    ``versions`` narrows what the consumer understands (default: every version its
    contract lists)."""
    envelope = IntegrationEvent.from_message(body)
    if envelope.type != contract.name or envelope.source not in ("", contract.source):
        raise UnknownEventType(
            f"{envelope.source or '?'}.{envelope.type} reached a reader of "
            f"{contract.source}.{contract.name}.", {"type": [f"Expected {contract.name}."]})
    understood = tuple(versions or contract.versions)
    if envelope.version not in understood:
        raise UnknownEventVersion(
            f"{contract.name} v{envelope.version} is not understood.",
            {"version": [f"Understood: {', '.join(map(str, understood))}."]})
    try:
        data = contract.read(envelope.version, envelope.payload)
    except PoisonMessage:
        raise
    except ValidationError as error:
        raise ContractViolation(str(error.message), error.fields) from None
    return ReceivedEvent(
        event_id=envelope.event_id, type=envelope.type, version=envelope.version,
        source=envelope.source or contract.source, occurred_at=envelope.occurred_at,
        data=data, correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id, traceparent=envelope.traceparent)


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

    def __init__(self, check_payloads: bool = True) -> None:
        self._table: dict[type[DomainEvent], list[tuple[EventContract, Translation]]] = {}
        # Check every outgoing payload against its contract (a mismatch fails the
        # command). On in tests and by default; a deployment may turn it off
        # (CHECK_OUTGOING_EVENTS) once its tests ran with it: consumers check anyway.
        self.check_payloads = check_payloads

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
                    payload=self._payload(contract, translate(event)), context=context,
                    occurred_at=event.occurred_at,
                ))
        return messages

    def _payload(self, contract: EventContract, payload: dict[str, Any]) -> dict[str, Any]:
        return contract.serialize(payload) if self.check_payloads else payload
