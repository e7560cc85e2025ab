"""Helpers shared by the integration, end-to-end and reliability tests."""
from __future__ import annotations

import pathlib
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from common.migrate import upgrade

FAST_OUTBOX = {"sweep_interval": 0.3, "grace_seconds": 0.5, "lease_seconds": 5.0,
               "batch_size": 200, "mark_interval": 0.05, "retention_hours": 72,
               "inbox_retention_days": 30}
FAST_RETRY = {"max_attempts": 3, "initial_delay_ms": 100, "multiplier": 2.0,
              "max_delay_ms": 1000}
# the BFF's click journals (a subdirectory per test's vhost): never the checkout's var/
CLICK_JOURNALS = pathlib.Path(tempfile.gettempdir()) / "alpes-test-clicks"


def service_config(rabbit_config: dict, db_uris: dict[str, str], **extra) -> dict:
    return {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DB_URIS": {key if ":" in key else f"{key}:Base": uri for key, uri in db_uris.items()},
        "OUTBOX": dict(FAST_OUTBOX),
        "EVENT_HANDLER_RETRY": dict(FAST_RETRY),
        "RPC_TIMEOUT_SECONDS": 5,
        "max_workers": 10,
        "serializer": "json",
        **extra,
        "BFF": {"click_journal_dir": str(CLICK_JOURNALS), **(extra.get("BFF") or {})},
    }


def migrated(service: str, uri: str) -> str:
    upgrade(service, uri)
    return uri


def read_model(make_db_uri) -> dict[str, str]:
    """The BFF's ``db_uris``: a fresh, migrated SQLite read model (the dashboards')."""
    return {"bff": migrated("bff", make_db_uri("sqlite", "bff"))}


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
             message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


PROBE_PREFIX = "probe-"  # every probe's queue: a recorder, never work for the platform


class EventProbe:
    """A queue bound to ``<source>.events`` that records what is published there."""

    def __init__(self, amqp_uri: str, source: str, routing_key: str = "#"):
        self.amqp_uri = amqp_uri
        self.queue = Queue(f"{PROBE_PREFIX}{uuid.uuid4().hex[:8]}",
                           exchange=get_event_exchange(source, {}), routing_key=routing_key,
                           durable=False, exclusive=True)
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.queue(self.channel).declare()
        self.messages: list[dict] = []

    def drain(self, settle: float = 0.0) -> list[dict]:
        if settle:
            time.sleep(settle)
        while True:
            message = self.queue(self.channel).get(no_ack=True)
            if message is None:
                return self.messages
            self.messages.append(message.payload)

    def of_type(self, event_type: str) -> list[dict]:
        return [m for m in self.drain() if m.get("type") == event_type]

    def distinct(self, settle: float = 0.0) -> list[dict]:
        """The events published, each once: the relay publishes at least once (a stamp
        delayed past the sweep's grace on a loaded machine sends a row again, with its
        event id), and consumers keep one per id."""
        return list({m["event_id"]: m for m in self.drain(settle)}.values())

    def close(self) -> None:
        """Delete the queue (it is only ever read with basic.get, so auto-delete would
        never fire) and let the connection go."""
        try:
            self.queue(self.channel).delete()
        finally:
            self.connection.release()


def partners_bus(uri: str):
    """A partners message bus whose commits are NOT published (as if the process died
    between commit and publish). Returns (bus, database)."""
    from sqlalchemy import MetaData

    from common.nameko.database import patch_for_eventlet
    from common.seedwork.application.bus import MessageBus
    from common.seedwork.domain.clock import utcnow
    from common.seedwork.infrastructure.database import Database
    from common.seedwork.infrastructure.messaging import (
        InboxStore,
        OutboxStore,
        inbox_table,
        outbox_table,
    )
    from services.partners.application.handlers import HANDLERS
    from services.partners.application.integration_events import TRANSLATOR
    from services.partners.infrastructure.unit_of_work import SqlPartnersUnitOfWork

    patch_for_eventlet(uri)
    database = Database(uri)
    metadata = MetaData()
    uow = SqlPartnersUnitOfWork(database, outbox=OutboxStore(outbox_table(metadata)),
                                inbox=InboxStore(inbox_table(metadata)), translator=TRANSLATOR)
    return MessageBus(uow, HANDLERS, {"clock": utcnow}), database


def publish_event(config: dict, contract, payload: dict, occurred_at=None) -> dict:
    """Publish one contract-valid event the way a service's outbox relay does
    (``<source>.events`` exchange, routing key = its type); the envelope sent."""
    from common.seedwork.application.integration import IntegrationEvent

    message = IntegrationEvent.new(source=contract.source, type=contract.name,
                                   version=contract.version, occurred_at=occurred_at,
                                   payload=contract.serialize(payload)).to_message()
    exchange = get_event_exchange(contract.source, config)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            message, exchange=exchange, routing_key=message["type"], declare=[exchange])
    return message
