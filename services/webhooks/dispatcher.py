"""The delivery driver: a Nameko entrypoint that leases due deliveries and runs the
decorated method once per delivery, each in its own worker (its own unit of work,
correlation id and log lines)::

    @dispatches
    def deliver(self, lease): ...

Its loop (a managed thread from ``start()``) wakes up when an event handler committed
new deliveries (``DispatcherWaker``, a dependency), when a delivery worker finished, and
every ``poll_interval_seconds`` in any case (retries come due by the clock; another
instance's leases run out). Each time it leases what is due, within two bounds:
``max_in_flight`` attempts at once in this instance (never more workers than that for
deliveries: RPCs and events keep theirs) and ``max_in_flight_per_endpoint`` per
endpoint, so one slow receiver holds a few slots, never all of them.

Leases (``infrastructure/leases.py``) make several instances share the table; a killed
instance's deliveries are leased again once ``lease_seconds`` have passed (and sent
again: at least once).
"""
from __future__ import annotations

import collections
import logging
import os
import socket
import uuid
from functools import partial

import eventlet
from eventlet.queue import Empty, Full, LightQueue
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider, Entrypoint

from common.nameko.database import ServiceDatabase
from common.seedwork.domain.clock import utcnow
from services.webhooks.application.settings import SECTION, WebhooksSettings
from services.webhooks.infrastructure.leases import DeliveryLeases, Lease

log = logging.getLogger(__name__)


def runner_id(service: str = "webhooks") -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class DeliveryDispatcher(Entrypoint):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.owner = runner_id()
        self._wake: LightQueue = LightQueue(maxsize=1)
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._running = False
        self._thread = None

    def setup(self):
        self.settings = WebhooksSettings.from_config(self.container.config.get(SECTION))
        [database] = [dependency for dependency in self.container.dependencies
                      if isinstance(dependency, ServiceDatabase)]
        self._database_provider = database

    def start(self):
        self.leases = DeliveryLeases(self._database_provider.database, self.owner)
        self._running = True
        self._thread = self.container.spawn_managed_thread(
            self._run, identifier=f"{type(self).__name__}.run")

    def stop(self):
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    def wake(self) -> None:
        try:
            self._wake.put_nowait(None)
        except Full:
            pass  # already awake

    @property
    def in_flight(self) -> int:
        return sum(self._in_flight.values())

    # the loop ----------------------------------------------------------------------------
    def _run(self) -> None:
        while self._running:
            try:
                self._wake.get(timeout=self.settings.poll_interval)
            except Empty:
                pass
            if not self._running:
                return
            try:
                self.dispatch_due()
            except Exception:  # the database may be away: try again at the next tick
                log.exception("webhook delivery driver: leasing failed; trying again")
                eventlet.sleep(self.settings.poll_interval)

    def dispatch_due(self) -> int:
        """Lease what is due and free slots allow; a worker for each. Returns how many."""
        started = 0
        while self._running:
            slots = min(self.settings.max_in_flight - self.in_flight, self.settings.batch_size)
            now = utcnow()
            if slots <= 0 or not self.leases.any_due(now):
                return started
            taken = self.leases.lease(now, limit=slots, lease=self.settings.lease,
                                      per_endpoint=self.settings.max_in_flight_per_endpoint,
                                      in_flight=self._in_flight)
            for lease in taken:
                self._spawn(lease)
            started += len(taken)
            if len(taken) < slots:
                return started
        return started

    def _spawn(self, lease: Lease) -> None:
        self._in_flight[lease.endpoint_id] += 1
        try:
            self.container.spawn_worker(self, (lease, self.owner), {},
                                        handle_result=partial(self._finished, lease))
        except ContainerBeingKilled:
            self._done(lease)

    def _finished(self, lease: Lease, worker_ctx, result, exc_info):
        self._done(lease)
        return result, exc_info

    def _done(self, lease: Lease) -> None:
        self._in_flight[lease.endpoint_id] -= 1
        if self._in_flight[lease.endpoint_id] <= 0:
            del self._in_flight[lease.endpoint_id]
        self.wake()


dispatches = DeliveryDispatcher.decorator


class DispatcherWaker(DependencyProvider):
    """``self.deliveries_committed()``: tell the driver new deliveries are due now."""

    def get_dependency(self, worker_ctx):
        dispatchers = [entrypoint for entrypoint in self.container.entrypoints
                       if isinstance(entrypoint, DeliveryDispatcher)]
        return lambda: [dispatcher.wake() for dispatcher in dispatchers]
