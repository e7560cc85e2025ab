"""Handler registry and message bus (after cosmicpython's messagebus and bootstrap).

Handlers are small functions, one per use case::

    handlers = HandlerRegistry()

    @handlers.command(RegisterPartner)
    def register_partner(cmd: RegisterPartner, uow: PartnersUnitOfWork, clock: Clock): ...

The first parameter is the message; every further parameter is injected by name:
``uow`` is the unit of work, anything else comes from the bus's ``dependencies``. Each
handler's parameter names are read once, when it is registered (not on every dispatch),
and ``HandlerRegistry.check`` tells at start-up which names no dependency provides.
"""
from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from common.seedwork.application.messages import Command, Query
from common.seedwork.errors import AlreadyProcessed

Handler = Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class Registered:
    """A handler and the names of what it needs besides its message."""

    handler: Handler
    needs: tuple[str, ...]

    @classmethod
    def of(cls, handler: Handler) -> "Registered":
        return cls(handler, tuple(inspect.signature(handler).parameters)[1:])


class HandlerRegistry:
    def __init__(self) -> None:
        self.commands: dict[type, Registered] = {}
        self.queries: dict[type, Registered] = {}

    def command(self, message_type: type[Command]) -> Callable[[Handler], Handler]:
        return self._register(self.commands, message_type)

    def query(self, message_type: type[Query]) -> Callable[[Handler], Handler]:
        return self._register(self.queries, message_type)

    @staticmethod
    def _register(table: dict[type, Registered],
                  message_type: type) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            if message_type in table:
                raise ValueError(f"{message_type.__name__} already has a handler")
            table[message_type] = Registered.of(handler)
            return handler

        return decorator

    def check(self, available: Iterable[str]) -> None:
        """Fail at start-up, not at the first message, when a handler needs a name that
        no dependency provides."""
        available = {"uow", *available}
        missing = {f"{entry.handler.__name__} needs {name!r}"
                   for table in (self.commands, self.queries)
                   for entry in table.values() for name in entry.needs
                   if name not in available}
        if missing:
            raise LookupError("; ".join(sorted(missing)))


class MessageBus:
    """Dispatches a command or query to its one handler, injecting what it asks for."""

    def __init__(self, uow, registry: HandlerRegistry,
                 dependencies: Mapping[str, Any] | None = None):
        self.uow = uow
        self.registry = registry
        self.dependencies = {"uow": uow, **(dependencies or {})}

    def handle(self, command: Command) -> Any:
        """Run a command. A message the inbox has already seen is a no-op (returns None)."""
        try:
            return self._call(self._find(self.registry.commands, command), command)
        except AlreadyProcessed:
            return None

    def query(self, query: Query) -> Any:
        return self._call(self._find(self.registry.queries, query), query)

    @staticmethod
    def _find(table: dict[type, Registered], message: Any) -> Registered:
        try:
            return table[type(message)]
        except KeyError:
            raise LookupError(f"no handler for {type(message).__name__}") from None

    def _call(self, entry: Registered, message: Any) -> Any:
        try:
            needed = {name: self.dependencies[name] for name in entry.needs}
        except KeyError as missing:
            raise LookupError(f"{entry.handler.__name__} needs {missing.args[0]!r}, "
                              "which the bus lacks") from None
        return entry.handler(message, **needed)
