"""Handler registry and message bus (after cosmicpython's messagebus).

Handlers are small functions, one per use case::

    handlers = HandlerRegistry()

    @handlers.command(RegisterPartner)
    def register_partner(cmd, uow, clock):
        ...

The first parameter is the message; every further parameter is injected by name:
``uow`` is the unit of work, anything else comes from the bus's ``dependencies``.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from common.seedwork.application.messages import Command, Query
from common.seedwork.errors import AlreadyProcessed

Handler = Callable[..., Any]


class HandlerRegistry:
    def __init__(self) -> None:
        self.commands: dict[type, Handler] = {}
        self.queries: dict[type, Handler] = {}

    def command(self, message_type: type[Command]) -> Callable[[Handler], Handler]:
        return self._register(self.commands, message_type)

    def query(self, message_type: type[Query]) -> Callable[[Handler], Handler]:
        return self._register(self.queries, message_type)

    @staticmethod
    def _register(table: dict[type, Handler], message_type: type) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            if message_type in table:
                raise ValueError(f"{message_type.__name__} already has a handler")
            table[message_type] = handler
            return handler

        return decorator


class MessageBus:
    """Dispatches a command or query to its one handler, injecting what it asks for."""

    def __init__(self, uow, registry: HandlerRegistry, dependencies: dict[str, Any] | None = None):
        self.uow = uow
        self.registry = registry
        self.dependencies = {"uow": uow, **(dependencies or {})}

    def handle(self, command: Command) -> Any:
        """Run a command. A message the inbox has already seen is a no-op (returns None)."""
        handler = self._find(self.registry.commands, command)
        try:
            return self._call(handler, command)
        except AlreadyProcessed:
            return None

    def query(self, query: Query) -> Any:
        return self._call(self._find(self.registry.queries, query), query)

    @staticmethod
    def _find(table: dict[type, Handler], message: Any) -> Handler:
        try:
            return table[type(message)]
        except KeyError:
            raise LookupError(f"no handler for {type(message).__name__}") from None

    def _call(self, handler: Handler, message: Any) -> Any:
        names = list(inspect.signature(handler).parameters)[1:]
        missing = [name for name in names if name not in self.dependencies]
        if missing:
            raise LookupError(f"{handler.__name__} needs {missing}, which the bus lacks")
        return handler(message, **{name: self.dependencies[name] for name in names})
