"""Which platform events reach webhooks at all: only the types some endpoint subscribes
to (and those feeding a replica, always).

Most events of the conversion chain (``conversion_attributed``, ``commission_approved``...)
would otherwise cost webhooks a receive each -- a third of the chain's consumers' CPU --
on a platform where no endpoint asked for them. Their handlers are declared
``bound_on_demand`` (service.py): their queues exist from the start (declared by
``alpes topology`` and at start-up, with their retry queues and dead letters), but a
queue receives its events only once bound. Bound:

* by the instance that commits an endpoint subscribing to the type, *before* the commit
  (create, or an update that changes its types): once the call has answered, every event
  of its types published from then on is in the queue;
* at start-up and every ``bindings_interval_seconds`` for every type an endpoint in the
  database subscribes to (a broker that lost its bindings gets them back).

Nothing unbinds: a type nobody subscribes to any more keeps costing a receive, never a
lost event (with several instances, an unbind could race another's subscription).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from common.nameko.events import bind_handler_queue
from common.nameko.topology import bound_on_demand
from services.webhooks.domain import catalogue

Handler = tuple[str, str, str]  # (source service, event type, method)


class QueueBindings:
    """``Bindings``: binds the handler queues of webhook types (``catalogue`` names)."""

    def __init__(self, config: dict, service: str, handlers: Mapping[str, Sequence[Handler]],
                 bind: Callable[..., None] = bind_handler_queue):
        self.config = config
        self.service = service
        self.handlers = handlers
        self._bind = bind
        self._bound: set[Handler] = set()

    @classmethod
    def of(cls, config: dict, service_cls: type) -> "QueueBindings":
        """For the ``bound_on_demand`` handlers of ``service_cls``, by the webhook type
        each one's event becomes."""
        names_of: dict[str, list[str]] = {}  # event -> the webhook types made from it
        for kind in catalogue.TYPES:
            for source in (kind.source, *kind.also_from):
                names_of.setdefault(source, []).append(kind.name)
        handlers: dict[str, list[Handler]] = {}
        for source, event_type, method in bound_on_demand(service_cls):
            for name in names_of[f"{source}.{event_type}"]:
                handlers.setdefault(name, []).append((source, event_type, method))
        return cls(config, service_cls.name, handlers)

    def ensure(self, event_types: Iterable[str], *, again: bool = False) -> list[str]:
        """Bind the queues of these webhook types (those this process has not bound yet;
        ``again``: all of them). Returns the types bound now."""
        bound = []
        for name in sorted(set(event_types)):
            handlers = [handler for handler in self.handlers.get(name, ())
                        if again or handler not in self._bound]
            for source, event_type, method in handlers:
                self._bind(self.config, source=source, event_type=event_type,
                           service=self.service, method=method)
                self._bound.add((source, event_type, method))
            if handlers:
                bound.append(name)
        return bound
