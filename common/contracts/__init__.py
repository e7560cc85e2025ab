"""Integration event contracts shared by publishers and consumers.

Services import each other's contracts, never each other's code. ``CATALOGUE`` lists
every event on the platform; ``python -m common.contracts`` prints it as Markdown
(kept in docs/events.md, checked by a test) with, per event, the versions its contract
reads, who consumes it and which versions each consumer understands (taken from the
services' ``@event_handler`` declarations), and an example payload.

A consumer understands every version its contract lists (older ones upgraded to the
current shape, see ``EventContract.read``) unless its handler narrows them; anything else
is dead-lettered at once.
"""
from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Mapping, Sequence

from common.contracts.base import EventContract, nested_schemas, schema_fields

CONTRACT_MODULES = ("partners", "campaigns", "tracking", "commissions", "payouts",
                    "identity", "webhooks", "bff")


def _load() -> tuple[EventContract, ...]:
    contracts = []
    for name in CONTRACT_MODULES:
        module = importlib.import_module(f"common.contracts.{name}")
        contracts.extend(module.CONTRACTS)
    return tuple(contracts)


CATALOGUE: tuple[EventContract, ...] = _load()


def find(source: str, name: str, version: int | None = None) -> EventContract:
    for contract in CATALOGUE:
        if contract.source == source and contract.name == name and (
                version is None or contract.version == version):
            return contract
    raise KeyError(f"no contract for {source}.{name} v{version}")


Consumers = Mapping[str, Sequence[tuple[str, Sequence[int]]]]


def render_markdown(consumers: Consumers | None = None) -> str:
    """The catalogue as Markdown. ``consumers``: contract key -> [(consumer, versions)]."""
    from common.contracts.examples import EXAMPLES

    consumers = consumers or {}
    lines = [
        "# Event catalogue",
        "",
        "Generated from `common/contracts` and the services' `@event_handler`s by "
        "`python -m common.contracts` (a test checks this file is current).",
        "",
        "Every event travels in the envelope `{event_id, type, version, source, occurred_at, "
        "correlation_id, causation_id, payload}` on the Nameko events exchange "
        "`<source>.events` with routing key `<type>`. Money is `{\"amount\": \"12.50\", "
        "\"currency\": \"USD\"}`; ids are UUIDs; times are UTC ISO 8601. With tracing on, "
        "the envelope also carries `traceparent` (optional, W3C trace context: the "
        "producing worker's span, stored in the outbox with the event), so a consumer's "
        "span continues the producer's trace however late the event is published "
        "(docs/observability.md); consumers ignore envelope fields they do not know.",
        "",
        "**Versions.** A contract is the current version of its event; publishers send only "
        "that one. A consumer understands the versions listed beside it (older ones are "
        "upgraded to the current shape before its handler sees them). A message with any "
        "other version, another type, a malformed envelope or a payload that breaks the "
        "contract is dead-lettered at once with its reason (docs/reliability.md).",
        "",
    ]
    shared = []
    for contract in CATALOGUE:
        for schema in [contract.schema, *contract.schema.__mro__]:
            if isinstance(schema, type) and hasattr(schema, "_declared_fields"):
                for nested in nested_schemas(schema):
                    if nested not in shared:
                        shared.append(nested)
    lines += ["## Shared payload types", ""]
    for schema in shared:
        doc = inspect.cleandoc(schema.__doc__ or "")
        lines += [f"### {schema.__name__}", ""] + ([doc, ""] if doc else [])
        lines += ["| field | type | required |", "|---|---|---|"]
        for field, kind, required in schema_fields(schema):
            lines.append(f"| `{field}` | {kind} | {'yes' if required else 'no'} |")
        lines.append("")
    for source in dict.fromkeys(c.source for c in CATALOGUE):
        lines += [f"## {source}", ""]
        for contract in (c for c in CATALOGUE if c.source == source):
            lines += [f"### `{contract.name}` v{contract.version}", "", contract.description, "",
                      f"Versions read: {', '.join(f'v{v}' for v in contract.versions)}. "
                      + _consumers_line(consumers.get(contract.key, ())), "",
                      "| field | type | required |", "|---|---|---|"]
            for field, kind, required in contract.fields():
                lines.append(f"| `{field}` | {kind} | {'yes' if required else 'no'} |")
            if contract.key in EXAMPLES:
                lines += ["", "<details><summary>Example payload</summary>", "", "```json",
                          json.dumps(EXAMPLES[contract.key], indent=2), "```", "",
                          "</details>"]
            lines.append("")
    return "\n".join(lines)


def _consumers_line(consumers: Sequence[tuple[str, Sequence[int]]]) -> str:
    if not consumers:
        return "Consumed by no service of the platform."
    named = [f"`{name}` ({', '.join(f'v{v}' for v in versions)})"
             for name, versions in sorted(consumers)]
    return f"Consumed by {', '.join(named)}."
