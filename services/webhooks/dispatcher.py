"""The delivery driver: a Nameko entrypoint that leases due deliveries and runs the
decorated method once per delivery, each in its own worker (its own unit of work,
correlation id and log lines)::

    @dispatches
    def deliver(self, lease): ...

Its loop (a managed thread from ``start()``) wakes up when an event handler committed
new deliveries (``DispatcherWaker``, a dependency), when a delivery worker finished, and
every ``poll_interval_seconds`` in any case (retries come due by the clock; another
instance's leases run out). It starts workers within two bounds: ``max_in_flight``
attempts at once in this instance (never more workers than that for deliveries: RPCs
and events keep theirs) and ``max_in_flight_per_endpoint`` per endpoint over all
instances, so one slow receiver holds a few slots, never all of them, and is never sent
more than that at once however many instances run. It leases up to twice what those
bounds let run (of an endpoint, only while no other instance holds its leases: the
rule is in ``infrastructure/leases.py``) and keeps the rest ready in memory, so a
finished attempt's slot goes to the next delivery at once, without a round trip to the
database; a graceful stop gives the leases of what never started back.

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
        self._ready: collections.deque[Lease] = collections.deque()  # leased, not started
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
        ready, self._ready = list(self._ready), collections.deque()
        if ready:
            try:
                self.leases.release([lease.delivery_id for lease in ready])
            except Exception:  # their leases run out instead
                log.warning("could not give %d lease(s) back at stop", len(ready))

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
        """Start what is ready, lease what is due and room allows, start that. Returns
        how many workers it started.

        An endpoint with a delivery ready already is left out of the look and the lease
        (it has its next attempt in hand): it is leased for again when its ready ones run
        out, a few at a time, not once per attempt."""
        started = self._start_ready()
        settings = self.settings
        bound = settings.max_in_flight_per_endpoint
        while self._running:
            room = min(2 * settings.max_in_flight - self.in_flight - len(self._ready),
                       settings.batch_size)
            held = collections.Counter(self._in_flight)
            held.update(lease.endpoint_id for lease in self._ready)
            stocked = [endpoint for endpoint, count in held.items() if count > bound]
            now = utcnow()
            if room <= 0 or not self.leases.any_due(now, per_endpoint=bound,
                                                    ahead=2 * bound, exclude=stocked):
                return started
            taken = self.leases.lease(now, limit=room, lease=settings.lease,
                                      per_endpoint=bound, ahead=2 * bound, exclude=stocked)
            self._ready.extend(taken)
            started += self._start_ready()
            if len(taken) < room:
                return started
        return started

    def _start_ready(self) -> int:
        """A worker for each ready delivery whose endpoint has a free slot, oldest first,
        while this instance has free slots."""
        started, waiting = 0, []
        bound = self.settings.max_in_flight_per_endpoint
        while self._ready and self.in_flight < self.settings.max_in_flight and self._running:
            lease = self._ready.popleft()
            if self._in_flight[lease.endpoint_id] >= bound:
                waiting.append(lease)
                continue
            self._spawn(lease)
            started += 1
        self._ready.extendleft(reversed(waiting))
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
