"""``MessageBusProvider``: each worker's message bus over the service's unit of work.

A service declares, once, what its use cases need; the provider checks it at start-up
(every handler's parameters must be provided) and builds it (cosmicpython's bootstrap):

    class CommissionsService:
        name = "commissions"
        db = ServiceDatabase(Base)
        rpc = RpcClient()
        bus = MessageBusProvider(
            handlers=HANDLERS, unit_of_work=SqlCommissionsUnitOfWork, translator=TRANSLATOR,
            settings=CommissionsSettings.from_config,
            per_worker={"budget": lambda service: CampaignsBudget(service.rpc.campaigns)})

* ``uow`` -- a new ``unit_of_work`` per worker, over the worker's nameko-sqlalchemy
  sessions (``ServiceDatabase``), its outbox relay after commit and, for a worker started
  by a reliable event handler, the inbox key ``(<service>.<method>, event_id)`` (none
  for a handler declared ``inbox=False``);
* ``clock`` (``utcnow`` unless given), ``settings`` (``settings(config)``, built once)
  and ``crash_point`` (fault injection's port: a no-op unless a plan is configured);
* ``shared`` -- built once at start from a :class:`Wiring` (config, settings, database);
* ``per_worker`` -- built at the worker's first message from the service instance (its
  other dependencies, e.g. ``service.rpc``, are injected by then).
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from common.nameko import business, context, tracing
from common.nameko.config import flag
from common.nameko.database import ServiceDatabase
from common.nameko.faults import FaultPlan, no_crash
from common.seedwork.application.bus import HandlerRegistry, MessageBus
from common.seedwork.application.integration import (
    EventTranslator,
    MessageContext,
    ReceivedEvent,
)
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import ServiceUnavailable
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import (
    InboxStore,
    OutboxStore,
    inbox_table,
    outbox_table,
)
from common.seedwork.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Wiring:
    """What a shared port is built from."""

    config: dict
    settings: Any
    database: Database


class MessageBusProvider(DependencyProvider):
    def __init__(self, *, handlers: HandlerRegistry,
                 unit_of_work: type[SqlAlchemyUnitOfWork],
                 translator: EventTranslator | None = None,
                 settings: Callable[[dict], Any] | None = None,
                 shared: Mapping[str, Callable[[Wiring], Any]] | None = None,
                 per_worker: Mapping[str, Callable[[Any], Any]] | None = None,
                 clock: Callable[[], Any] = utcnow):
        self.handlers = handlers
        self.unit_of_work = unit_of_work
        self.translator = translator or EventTranslator()
        self.settings_factory = settings
        self.shared_factories = dict(shared or {})
        self.per_worker_factories = dict(per_worker or {})
        self.clock = clock

    # lifecycle ---------------------------------------------------------------------------
    def setup(self):
        config = self.container.config
        self.settings = self.settings_factory(config) if self.settings_factory else None
        self.translator.check_payloads = flag(config.get("CHECK_OUTGOING_EVENTS", True))
        self.faults = FaultPlan.from_config(config)
        metadata = MetaData()
        self.outbox = OutboxStore(outbox_table(metadata))
        self.inbox = InboxStore(inbox_table(metadata))
        self.database_provider = _database_provider(self.container)
        faulty = self.faults and (self.faults.names("fail_handler") or
                                  self.faults.names("flaky_handler"))
        self.bus_class = FaultyBus if faulty else DatabaseAwareBus
        self.handlers.check([*self._standard_names(), *self.shared_factories,
                             *self.per_worker_factories])

    def start(self):
        """Build the shared ports (the database exists once every setup() has run)."""
        wiring = Wiring(self.container.config, self.settings, self.database_provider.database)
        standard = {"clock": self.clock, "crash_point": self._crash_point()}
        if self.settings is not None:
            standard["settings"] = self.settings
        self.shared = {**standard, **{name: build(wiring)
                                      for name, build in self.shared_factories.items()}}

    def _standard_names(self) -> list[str]:
        return ["clock", "crash_point"] + (["settings"] if self.settings is not None else [])

    def _crash_point(self):
        return self.faults.crash_if if self.faults else no_crash

    # per worker --------------------------------------------------------------------------
    def get_dependency(self, worker_ctx) -> "DatabaseAwareBus":
        return self.bus_class(self, worker_ctx)

    def unit_of_work_for(self, worker_ctx) -> SqlAlchemyUnitOfWork:
        worker_database = self.database_provider.get_dependency(worker_ctx)
        uow = self.unit_of_work(
            self.database_provider.database, outbox=self.outbox, inbox=self.inbox,
            sessions=worker_database.new_session, translator=self.translator,
            context=MessageContext(correlation_id=context.ensure_correlation_id(worker_ctx),
                                   causation_id=context.causation_id(worker_ctx),
                                   traceparent=tracing.current_traceparent()),
            inbox_key=_inbox_key(worker_ctx))
        if self.faults and self.faults.names("crash_after_commit"):
            uow.after_commit.append(lambda messages: self.faults.crash_if(
                "crash_after_commit", [m.type for m in messages]))
        uow.after_commit.append(self.database_provider.relay.publish_committed)
        uow.after_commit.append(business.count_committed)  # business counters (metrics)
        return uow

    def worker_setup(self, worker_ctx):
        context.bind(worker_ctx)

    def worker_teardown(self, worker_ctx):
        context.unbind()


class DatabaseAwareBus(MessageBus):
    """A worker's bus. Its unit of work and per-worker ports are built at the first
    message (every dependency of the worker is injected by then).

    A database that is unreachable, restarting or locked is the caller's typed
    ``ServiceUnavailable`` (retry later), never a raw driver error with SQL in it. The
    unit of work has rolled back: nothing was written."""

    def __init__(self, provider: MessageBusProvider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self.registry = provider.handlers
        self.settings = provider.settings
        entrypoint = worker_ctx.entrypoint
        self.consumer = (f"{worker_ctx.service_name}.{entrypoint.method_name}"
                         if getattr(entrypoint, "is_reliable_event_handler", False) else None)
        self._dependencies: dict[str, Any] | None = None

    @property
    def dependencies(self) -> dict[str, Any]:
        if self._dependencies is None:
            provider, service = self._provider, self._worker_ctx.service
            uow = provider.unit_of_work_for(self._worker_ctx)
            self._dependencies = {
                **provider.shared, "uow": uow,
                **{name: build(service) for name, build in provider.per_worker_factories.items()}}
        return self._dependencies

    @property
    def uow(self):
        return self.dependencies["uow"]

    def handle(self, command):
        with _database_errors_as_unavailable():
            return super().handle(command)

    def query(self, query):
        with _database_errors_as_unavailable():
            return super().query(query)


class FaultyBus(DatabaseAwareBus):
    """Installed only when the fault plan names ``fail_handler`` or ``flaky_handler``
    (reliability tests)."""

    def handle(self, command):
        if self.consumer:
            faults = self._provider.faults
            faults.fail_if("fail_handler", [self.consumer])
            event = self._worker_ctx.args[0] if self._worker_ctx.args else None
            faults.fail_first_time("flaky_handler", self.consumer,
                                   getattr(event, "event_id", ""))
        return super().handle(command)


@contextlib.contextmanager
def _database_errors_as_unavailable():
    try:
        yield
    except (OperationalError, InterfaceError, DisconnectionError) as error:
        log.warning("database unavailable: %s", str(error).splitlines()[0][:300])
        raise ServiceUnavailable("The service's database is unavailable or busy; retry.",
                                 {"database": ["unavailable"]}) from None


def _database_provider(container) -> ServiceDatabase:
    found = [d for d in container.dependencies if isinstance(d, ServiceDatabase)]
    if len(found) != 1:
        raise LookupError(f"{container.service_name} needs exactly one ServiceDatabase "
                          f"(found {len(found)}) for its message bus")
    return found[0]


def _inbox_key(worker_ctx) -> tuple[str, str] | None:
    entrypoint = worker_ctx.entrypoint
    if not getattr(entrypoint, "is_reliable_event_handler", False) or not entrypoint.inbox:
        return None
    event = worker_ctx.args[0] if worker_ctx.args else None
    if isinstance(event, ReceivedEvent):
        return (f"{worker_ctx.service_name}.{entrypoint.method_name}", event.event_id)
    return None
