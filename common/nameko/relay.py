"""The outbox relay: publishes committed integration events to RabbitMQ.

* Right after a unit of work commits, its events are handed to the relay's own green
  thread, which publishes them at once, in commit order (publisher confirms on,
  persistent messages) to ``<source>.events`` with the event type as routing key -- the
  exchange and key Nameko's ``@event_handler`` binds to. The worker does not wait for
  the broker before answering its caller.
* Published ids are stamped ``published_at`` by the same thread, at most once every
  ``mark_interval`` seconds (or every ``batch_size`` ids): one short write transaction
  per interval instead of one per event. A row stamped late is still younger than
  ``grace_seconds`` for the sweep, so it is not sent again.
* Every ``sweep_interval`` seconds the loop leases rows still unpublished after
  ``grace_seconds`` (left by a crash or a broker outage) and publishes them. Leases
  make two instances of a service sweep the same table without both sending a row at
  once; a row can still go out twice (crash between publish and stamp), which is why
  every consumer is idempotent (inbox).
* Published rows older than ``retention_hours`` are purged.

``OutboxRelayExtension`` runs it inside a service: a Nameko extension owned by the
service's database provider (``common.nameko.database.ServiceDatabase.relay``), which
hands it the database in ``setup()``; its loop is a managed thread from ``start()``, and
``stop()`` flushes what is queued before the provider disposes of the engine.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Extension
from nameko.standalone.events import get_event_exchange
from sqlalchemy import MetaData

from common.nameko import metrics
from common.nameko.config import section
from common.nameko.confirms import ConfirmingPublisher, Outgoing
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import (
    InboxStore,
    OutboxStore,
    inbox_table,
    outbox_table,
)

log = logging.getLogger(__name__)

DEFAULTS = {
    "sweep_interval": 2.0,      # seconds between sweeps
    "grace_seconds": 5.0,       # a row younger than this is the committing worker's job
    "lease_seconds": 30.0,      # how long a sweeping instance owns the rows it leased
    "batch_size": 200,
    "mark_interval": 0.2,       # seconds between published_at stamping batches
    "retention_hours": 72,      # published outbox rows kept this long
    "inbox_retention_days": 30,
}


class OutboxRelay:
    def __init__(self, *, service_name: str, amqp_uri: str, config: dict, database: Database,
                 outbox: OutboxStore, inbox: InboxStore, settings: dict):
        self.service_name = service_name
        self.database = database
        self.outbox = outbox
        self.inbox = inbox
        self.settings = {**DEFAULTS, **(settings or {})}
        self.config = config
        self.owner = f"{service_name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.amqp_uri = amqp_uri
        self.confirming = ConfirmingPublisher(amqp_uri)
        self._exchanges: dict = {}
        self._to_stamp: list[str] = []
        self._outgoing: LightQueue = LightQueue()
        self._running = False
        self._last_purge = 0.0
        self._published = {path: metrics.OUTBOX_PUBLISHED.labels(service_name, path)
                           for path in ("relay", "sweep")}

    # publishing --------------------------------------------------------------------------
    def publish_committed(self, messages: list[IntegrationEvent]) -> None:
        """After-commit listener: queue what the unit of work just committed."""
        for message in messages:
            self._outgoing.put(message)

    def publish_pending(self, limit: int = 500, wait: float = 0.0) -> int:
        """Publish what committed workers queued (waiting up to ``wait`` seconds for the
        first event). Whatever cannot be sent stays unstamped for the sweep."""
        batch = self._take(limit, wait)
        if not batch:
            return 0
        sent = self.publish_many(batch)
        self._to_stamp.extend(sent)
        self._published["relay"].inc(len(sent))
        if len(sent) < len(batch):
            log.warning("%d event(s) not published; left to the outbox sweep",
                        len(batch) - len(sent))
        return len(sent)

    def publish_many(self, messages: list[IntegrationEvent]) -> list[str]:
        """Publish in order as one batch with pipelined broker confirms. Returns the ids
        confirmed (a prefix of ``messages``); the rest stays for the sweep."""
        confirmed = self.confirming.publish_batch(
            Outgoing(body=message.to_message(), exchange=self._exchange(message.source),
                     routing_key=message.type, headers=_headers(message),
                     properties={"message_id": message.event_id, "type": message.type})
            for message in messages)
        return [message.event_id for message in messages[:confirmed]]

    def _take(self, limit: int, timeout: float = 0.0) -> list[IntegrationEvent]:
        batch: list[IntegrationEvent] = []
        try:
            batch.append(self._outgoing.get(timeout=timeout) if timeout > 0 else
                         self._outgoing.get_nowait())
            while len(batch) < limit:
                batch.append(self._outgoing.get_nowait())
        except Empty:
            pass
        return batch

    def _exchange(self, source: str):
        if source not in self._exchanges:
            self._exchanges[source] = get_event_exchange(source, self.config)
        return self._exchanges[source]

    # background loop ---------------------------------------------------------------------
    def run(self) -> None:
        self._running = True
        next_sweep = next_stamp = 0.0
        while self._running:
            try:
                self.publish_pending(wait=self.settings["mark_interval"])
                now = time.monotonic()
                if self._to_stamp and (now >= next_stamp or
                                       len(self._to_stamp) >= self.settings["batch_size"]):
                    self.stamp_published()  # one UPDATE per interval, not per event
                    next_stamp = now + self.settings["mark_interval"]
                if now >= next_sweep:
                    self.sweep()
                    next_sweep = now + self.settings["sweep_interval"]
                if now - self._last_purge > 3600:
                    self.purge()
                    self._last_purge = now
            except Exception:
                log.exception("outbox relay loop error; continuing")
                eventlet.sleep(self.settings["mark_interval"])

    def stop(self) -> None:
        self._running = False

    def close(self) -> None:
        self.confirming.close()

    def flush(self) -> None:
        """Publish and stamp whatever is still queued (graceful shutdown)."""
        try:
            while self.publish_pending():
                pass
            self.stamp_published()
        except Exception:  # pragma: no cover - shutdown best effort; the sweep is the net
            log.warning("could not flush the outbox relay at shutdown", exc_info=True)

    def stamp_published(self) -> int:
        ids, self._to_stamp = self._to_stamp, []
        if not ids:
            return 0
        try:
            with self.database.transaction() as conn:
                return self.outbox.mark_published(conn, ids)
        except Exception:
            self._to_stamp = ids + self._to_stamp
            raise

    def sweep(self) -> int:
        """Publish rows a crash or outage left behind. Returns how many were sent."""
        now = utcnow()
        with self.database.transaction() as conn:
            leased = self.outbox.claim_unpublished(
                conn, owner=self.owner,
                older_than=now - timedelta(seconds=self.settings["grace_seconds"]),
                lease=timedelta(seconds=self.settings["lease_seconds"]),
                limit=self.settings["batch_size"])
        sent: list[str] = []
        try:
            sent = self.publish_many(leased)
        finally:
            with self.database.transaction() as conn:
                self.outbox.mark_published(conn, sent)
                self.outbox.release(conn, [m.event_id for m in leased if m.event_id not in sent])
        if sent:
            self._published["sweep"].inc(len(sent))
            log.info("outbox sweep republished %d event(s)", len(sent))
        return len(sent)

    def purge(self) -> None:
        now = utcnow()
        with self.database.transaction() as conn:
            self.outbox.purge_published(
                conn, now - timedelta(hours=self.settings["retention_hours"]))
            self.inbox.purge(conn, now - timedelta(days=self.settings["inbox_retention_days"]))


class OutboxRelayExtension(Extension):
    """The relay of one service container (see the module docstring)."""

    def __init__(self):
        self._database: Database | None = None
        self._relay: OutboxRelay | None = None
        self._thread = None

    def serve(self, database: Database) -> None:
        """The database whose outbox this relay publishes (from its provider's setup)."""
        self._database = database

    def start(self):
        if self._database is None:
            raise RuntimeError("the outbox relay has no database: it belongs to ServiceDatabase")
        config = self.container.config
        service = self.container.service_name
        metadata = MetaData()
        self._relay = OutboxRelay(
            service_name=service, amqp_uri=config[AMQP_URI_CONFIG_KEY], config=config,
            database=self._database, outbox=OutboxStore(outbox_table(metadata)),
            inbox=InboxStore(inbox_table(metadata)),
            settings=section(config, "OUTBOX", DEFAULTS))
        self._thread = self.container.spawn_managed_thread(
            self._relay.run, identifier=f"{service}.outbox_relay")

    def publish_committed(self, messages: list[IntegrationEvent]) -> None:
        if self._relay is not None:  # else stopping: the rows wait for the next sweep
            self._relay.publish_committed(messages)

    def stop(self):
        """Stop the loop, then publish and stamp what is still queued (idempotent)."""
        relay, self._relay = self._relay, None
        if relay is None:
            return
        relay.stop()
        if self._thread is not None:
            self._thread.wait()
        relay.flush()
        relay.close()

    def kill(self):
        relay, self._relay = self._relay, None
        if relay is not None:
            relay.stop()
        if self._thread is not None:
            self._thread.kill()


def _headers(message: IntegrationEvent) -> dict[str, str]:
    """Nameko context headers: the consuming worker inherits the correlation id."""
    headers = {"nameko.correlation_id": message.correlation_id,
               "nameko.causation_id": message.event_id}
    return {key: value for key, value in headers.items() if value}
