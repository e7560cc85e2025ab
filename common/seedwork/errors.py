"""The typed error hierarchy every service raises and every caller can read.

Each error carries a stable ``code``, a human ``message`` and, for validation errors,
``fields``: a mapping of field name to a list of messages (nested for nested input).

``args`` is always ``(message, fields)`` so an error can be rebuilt on the caller's side
of an RPC from its serialised arguments, and ``str(error)`` is a JSON object, so even a
caller that only sees the text (for example a bare ``nameko shell``) can read the fields.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_subclass_listeners: list[Callable[[type], None]] = []


def on_error_class_defined(listener: Callable[[type], None]) -> None:
    """Call ``listener`` for every DomainError class, now and whenever one is defined.

    Lets an adapter (e.g. the Nameko bridge) register error classes for remote
    deserialisation without the seedwork knowing about that adapter.
    """
    _subclass_listeners.append(listener)
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        listener(cls)
        pending.extend(cls.__subclasses__())


class DomainError(Exception):
    code = "domain_error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, fields: dict[str, Any] | None = None):
        message = message or self.default_message
        fields = dict(fields or {})
        super().__init__(message, fields)
        self.message = message
        self.fields = fields

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for listener in _subclass_listeners:
            listener(cls)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


class ValidationError(DomainError):
    """Input is malformed. ``fields`` names every bad field."""

    code = "validation_error"
    default_message = "The input is invalid."


class NotFound(DomainError):
    code = "not_found"
    default_message = "The requested object does not exist."


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, concurrent change...)."""

    code = "conflict"
    default_message = "The request conflicts with the current state."


class ConcurrencyConflict(Conflict):
    code = "concurrent_modification"
    default_message = "The object was changed by someone else; retry."


class Forbidden(DomainError):
    code = "forbidden"
    default_message = "You may not do this."


class BusinessRuleViolation(DomainError):
    code = "business_rule_violation"
    default_message = "A business rule forbids this."


class ServiceUnavailable(DomainError):
    """A service we depend on did not answer within its timeout."""

    code = "service_unavailable"
    default_message = "A service did not answer in time."


class AlreadyProcessed(Exception):
    """Raised inside a unit of work when its inbox has already seen the message.

    Not a DomainError: it never reaches a caller, the message bus turns it into a no-op.
    """
