"""Integration event contracts: name, version and payload schema of every event.

The publisher validates each payload against its contract before writing it to the
outbox (a mismatch fails the command, nothing half-written); consumers parse payloads
with the same schema in tolerant mode (unknown fields are ignored).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import marshmallow

from common.seedwork.errors import ValidationError


@dataclasses.dataclass(frozen=True)
class EventContract:
    source: str
    name: str
    version: int
    schema: type[marshmallow.Schema]
    description: str

    def serialize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Check an outgoing payload (already primitive JSON types) against the contract."""
        errors = self.schema().validate(payload)
        if errors:
            raise ValueError(f"{self.source}.{self.name} v{self.version} payload breaks "
                             f"its contract: {errors}")
        return payload

    def parse(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Typed values (Decimal, datetime...) from a received payload."""
        try:
            return self.schema(unknown=marshmallow.EXCLUDE).load(payload)
        except marshmallow.ValidationError as error:
            raise ValidationError(
                f"{self.name} payload is malformed.", error.messages) from None

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    def fields(self) -> list[tuple[str, str, bool]]:
        """(name, type, required) of every top-level payload field, for the docs."""
        rows = []
        for name, field in self.schema().fields.items():
            kind = type(field).__name__
            if isinstance(field, marshmallow.fields.Nested):
                kind = f"{type(field.nested()).__name__ if callable(field.nested) else 'object'}"
            if isinstance(field, marshmallow.fields.List):
                kind = f"List[{type(field.inner).__name__}]"
            rows.append((field.data_key or name, kind, field.required))
        return rows
