"""``MessageBusProvider``: the service's database, unit of work, outbox relay and bus.

Shaped like nameko-sqlalchemy's ``Database``: ``__init__`` only stores arguments, the
engine is built from config in ``setup()``, the relay loop runs from ``start()`` and
everything is released in ``stop()``/``kill()``. Each worker gets its own
:class:`MessageBus` over its own :class:`SqlAlchemyUnitOfWork`::

    class PartnersService:
        name = "partners"
        bus = MessageBusProvider(handlers=HANDLERS, repositories={"partners": ...},
                                 translator=TRANSLATOR)

        @api
        def register_partner(self, payload):
            return self.bus.handle(RegisterPartner(**load(RegisterPartnerSchema(), payload)))

The unit of work of a worker started by a reliable event handler is inbox-guarded with
``(<service>.<method>, event_id)``: a redelivered event is a no-op. Events committed by
any worker are published right after the commit (outbox relay).
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from common.nameko import context, faults
from common.nameko.config import db_uri, section
from common.nameko.relay import DEFAULTS as RELAY_DEFAULTS
from common.nameko.relay import OutboxRelay
from common.seedwork.application.bus import HandlerRegistry, MessageBus
from common.seedwork.application.integration import (
    EventTranslator,
    MessageContext,
    ReceivedEvent,
)
from common.seedwork.errors import ServiceUnavailable
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import (
    InboxStore,
    OutboxStore,
    inbox_table,
    outbox_table,
)
from common.seedwork.infrastructure.unit_of_work import RepositoryFactory, SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

Dependencies = dict[str, Any] | Callable[[dict], dict[str, Any]]


def make_database(uri: str) -> Database:
    if uri.startswith("postgresql"):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()  # psycopg2 waits through eventlet's hub instead of blocking it
    return Database(uri)


class MessageBusProvider(DependencyProvider):
    def __init__(self, *, handlers: HandlerRegistry, repositories: dict[str, RepositoryFactory],
                 translator: EventTranslator | None = None,
                 dependencies: Dependencies | None = None):
        self.handlers = handlers
        self.repository_factories = repositories
        self.translator = translator or EventTranslator()
        self.dependency_spec = dependencies or {}

    # lifecycle ---------------------------------------------------------------------------
    def setup(self):
        config = self.container.config
        service = self.container.service_name
        self.database = make_database(db_uri(config, service))
        metadata = MetaData()
        self.outbox = OutboxStore(outbox_table(metadata))
        self.inbox = InboxStore(inbox_table(metadata))
        self.relay = OutboxRelay(
            service_name=service, amqp_uri=config[AMQP_URI_CONFIG_KEY], config=config,
            database=self.database, outbox=self.outbox, inbox=self.inbox,
            settings=section(config, "OUTBOX", RELAY_DEFAULTS))
        spec = self.dependency_spec
        self.dependencies = spec(config) if callable(spec) else dict(spec)
        self._relay_thread = None

    def start(self):
        self._relay_thread = self.container.spawn_managed_thread(
            self.relay.run, identifier=f"{self.container.service_name}.outbox_relay")

    def stop(self):
        self.relay.stop()
        if self._relay_thread is not None:
            self._relay_thread.wait()
        self.relay.flush()
        self.relay.close()
        self.database.dispose()

    def kill(self):
        self.relay._running = False
        if self._relay_thread is not None:
            self._relay_thread.kill()
        self.database.dispose()

    # per worker --------------------------------------------------------------------------
    def get_dependency(self, worker_ctx) -> MessageBus:
        uow = self.unit_of_work(worker_ctx)
        bus = DatabaseAwareBus(uow, self.handlers,
                               {**self.dependencies, "database": self.database})
        bus.consumer = uow.inbox_key[0] if uow.inbox_key else None
        return bus

    def unit_of_work(self, worker_ctx) -> SqlAlchemyUnitOfWork:
        message_context = MessageContext(
            correlation_id=context.ensure_correlation_id(worker_ctx),
            causation_id=context.causation_id(worker_ctx))
        uow = SqlAlchemyUnitOfWork(
            self.database, repositories=self.repository_factories, outbox=self.outbox,
            inbox=self.inbox, translator=self.translator, context=message_context,
            inbox_key=_inbox_key(worker_ctx))
        uow.after_commit.append(self.relay.publish_committed)
        return uow

    def worker_setup(self, worker_ctx):
        context.bind(worker_ctx)

    def worker_teardown(self, worker_ctx):
        context.unbind()


class DatabaseAwareBus(MessageBus):
    """A database that is unreachable, restarting or locked is the caller's typed
    ``ServiceUnavailable`` (retry later), never a raw driver error with SQL in it. The
    unit of work has rolled back: nothing was written."""

    consumer: str | None = None  # "<service>.<method>" when run by a reliable handler

    def handle(self, command):
        if self.consumer:  # reliability tests: ALPES_FAULTS=fail_handler:<service>.<method>
            faults.fail_if("fail_handler", [self.consumer])
        with _database_errors_as_unavailable():
            return super().handle(command)

    def query(self, query):
        with _database_errors_as_unavailable():
            return super().query(query)


@contextlib.contextmanager
def _database_errors_as_unavailable():
    try:
        yield
    except (OperationalError, InterfaceError, DisconnectionError) as error:
        log.warning("database unavailable: %s", str(error).splitlines()[0][:300])
        raise ServiceUnavailable("The service's database is unavailable or busy; retry.",
                                 {"database": ["unavailable"]}) from None


def _inbox_key(worker_ctx) -> tuple[str, str] | None:
    entrypoint = worker_ctx.entrypoint
    if not getattr(entrypoint, "is_reliable_event_handler", False):
        return None
    event = worker_ctx.args[0] if worker_ctx.args else None
    if isinstance(event, ReceivedEvent):
        return (f"{worker_ctx.service_name}.{entrypoint.method_name}", event.event_id)
    return None
