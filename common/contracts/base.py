"""Integration event contracts: name, version and payload schema of every event.

The publisher validates each payload against its contract before writing it to the
outbox (a mismatch fails the command, nothing half-written); consumers parse payloads
with the same schema in tolerant mode (unknown fields are ignored).

A contract is the *current* version of an event. When a payload changes in a breaking
way, the version goes up and the previous one stays as an :class:`OlderVersion` with
its schema and the function that upgrades its (parsed) payload to the next version:
a consumer reads every version its contract lists, upgraded to the current shape, and
nothing else (see ``read``). Publishers always send the current version.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import marshmallow

from common.seedwork.application.integration import UnknownEventVersion
from common.seedwork.errors import ValidationError
from common.validation import schema_instance

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class OlderVersion:
    """A superseded version: its payload schema and how to read it as the next one."""

    version: int
    schema: type[marshmallow.Schema]
    upgrade: Upgrade


@dataclasses.dataclass(frozen=True)
class EventContract:
    source: str
    name: str
    version: int
    schema: type[marshmallow.Schema]
    description: str
    older: tuple[OlderVersion, ...] = ()

    @property
    def versions(self) -> tuple[int, ...]:
        """Every version a consumer of this contract understands, oldest first."""
        return tuple(sorted({*(older.version for older in self.older), self.version}))

    def read(self, version: int, payload: dict[str, Any]) -> dict[str, Any]:
        """Typed values of a received payload of ``version``, upgraded to the current
        version. Raises :class:`UnknownEventVersion` or ``ValidationError``."""
        if version == self.version:
            return self.parse(payload)
        chain = sorted((o for o in self.older if o.version >= version), key=lambda o: o.version)
        if not chain or chain[0].version != version:
            raise UnknownEventVersion(
                f"{self.key} v{version} is not understood.",
                {"version": [f"Understood: {', '.join(map(str, self.versions))}."]})
        data = _load(chain[0].schema, payload, f"{self.name} v{version}")
        for older in chain:
            data = older.upgrade(data)
        return data

    def serialize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Check an outgoing payload (already primitive JSON types) against the contract."""
        errors = schema_instance(self.schema).validate(payload)
        if errors:
            raise ValueError(f"{self.source}.{self.name} v{self.version} payload breaks "
                             f"its contract: {errors}")
        return payload

    def parse(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Typed values (Decimal, datetime...) from a received current-version payload."""
        return _load(self.schema, payload, self.name)

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    def fields(self) -> list[tuple[str, str, bool]]:
        """(name, type, required) of every top-level payload field, for the docs."""
        return schema_fields(self.schema)


def _load(schema: type[marshmallow.Schema], payload: dict[str, Any], what: str) -> dict:
    try:
        return schema_instance(schema).load(payload, unknown=marshmallow.EXCLUDE)
    except marshmallow.ValidationError as error:
        raise ValidationError(f"{what} payload is malformed.", error.messages) from None


def field_type(field: marshmallow.fields.Field) -> str:
    if isinstance(field, marshmallow.fields.Nested):
        nested = field.nested
        kind = nested.__name__ if isinstance(nested, type) else type(nested).__name__
    elif isinstance(field, marshmallow.fields.List):
        kind = f"List[{field_type(field.inner)}]"
    else:
        kind = type(field).__name__
    return f"{kind} or null" if field.allow_none else kind


def schema_fields(schema: type[marshmallow.Schema]) -> list[tuple[str, str, bool]]:
    return [(field.data_key or name, field_type(field), field.required)
            for name, field in schema().fields.items()]


def nested_schemas(schema: type[marshmallow.Schema]) -> list[type[marshmallow.Schema]]:
    """Every schema nested (at any depth) in ``schema``."""
    found: list[type[marshmallow.Schema]] = []
    pending = [schema]
    while pending:
        for field in pending.pop().__dict__.get("_declared_fields", {}).values():
            inner = field.inner if isinstance(field, marshmallow.fields.List) else field
            if isinstance(inner, marshmallow.fields.Nested) and isinstance(inner.nested, type):
                if inner.nested not in found:
                    found.append(inner.nested)
                    pending.append(inner.nested)
    return found
