"""Who could receive an event, known without a query: each process keeps a snapshot of
every endpoint's owner and event types, and an event no endpoint of its owners could
receive is done with before any database work.

The snapshot only ever says "nobody": anything it cannot rule out -- an owner it lists, a
snapshot too old or not there, a reload that failed -- goes the way it always went, to
the endpoints table (``fan_out``), which decides. So it must never miss an endpoint:

* it lists endpoints of every status (a disabled endpoint's events are kept as SKIPPED
  deliveries), and an endpoint deleted since only makes it say "maybe";
* it is trusted for ``max_age`` seconds from the moment its read began, then read again
  by the first event that needs it (one reload at a time; the others wait for it); a
  read that fails is not tried again for ``max_age`` (meanwhile: the database decides);
* a change to endpoints made by this process (create, update...) drops it at once, and a
  reload that began before that change is not kept.

The bound: an endpoint committed by *another* instance at time t receives every event
handled from ``t + max_age`` on (before that, like an event handled just before the
commit, it may not); one this instance created receives every event it handles once the
call that created it has answered.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger(__name__)

OwnerKey = tuple[str, str]  # (owner_type, owner_id)


@dataclasses.dataclass(frozen=True)
class Subscriptions:
    """Event type -> the owners with at least one endpoint subscribed to it, and those
    owners' types."""

    owners: Mapping[str, frozenset[OwnerKey]]
    owner_types: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, endpoints: Iterable[tuple[str, str, Iterable[str]]]) -> "Subscriptions":
        """From (owner_type, owner_id, event_types) of every endpoint."""
        owners: dict[str, set[OwnerKey]] = {}
        for owner_type, owner_id, event_types in endpoints:
            for event_type in event_types:
                owners.setdefault(event_type, set()).add((owner_type, owner_id))
        return cls({event_type: frozenset(found) for event_type, found in owners.items()},
                   {event_type: frozenset(owner_type for owner_type, _ in found)
                    for event_type, found in owners.items()})

    def may_reach(self, event_type: str, owners: Iterable[OwnerKey],
                  any_of_type: str | None = None) -> bool:
        """Could an endpoint of ``owners`` -- or of any owner of type ``any_of_type``
        (owners found later, in the replicas) -- receive ``event_type``?"""
        subscribed = self.owners.get(event_type)
        if not subscribed:
            return False
        if any_of_type is not None and any_of_type in self.owner_types[event_type]:
            return True
        return any(owner in subscribed for owner in owners)


class SubscriptionCache:
    """The process's snapshot (see the module's docstring). ``max_age <= 0``: no
    snapshot, ``current()`` is always None ("ask the database")."""

    def __init__(self, load: Callable[[], Subscriptions], max_age: float,
                 monotonic: Callable[[], float] = time.monotonic):
        self._load = load
        self.max_age = max_age
        self._monotonic = monotonic
        self._snapshot: Subscriptions | None = None
        self._taken_at = 0.0
        self._generation = 0
        self._failed_at: float | None = None
        self._reloading = threading.Lock()  # green under eventlet: waiters yield

    def current(self) -> Subscriptions | None:
        """A snapshot younger than ``max_age``, read again if needed; None when it
        cannot be had (the read failed, lately, or raced with a change of ours): the
        caller asks the database."""
        if self.max_age <= 0:
            return None
        snapshot = self._fresh()
        if snapshot is not None or self._failing():
            return snapshot
        with self._reloading:
            snapshot = self._fresh()  # another worker may have reloaded meanwhile
            if snapshot is not None or self._failing():
                return snapshot
            generation, started = self._generation, self._monotonic()
            try:
                loaded = self._load()
            except Exception as error:  # the database may be away: the caller's look says
                self._failed_at = self._monotonic()  # and the workers queued here do not wait
                log.warning("webhook subscriptions: reload failed (%s); asking the database "
                            "for %.1f s", str(error).splitlines()[0][:200] if str(error)
                            else type(error).__name__, self.max_age)
                return None
            self._failed_at = None
            if generation != self._generation:
                return None  # changed while we read: this read may predate the change
            self._snapshot, self._taken_at = loaded, started
            return loaded

    def changed(self) -> None:
        """This process changed endpoints (committed): forget the snapshot."""
        self._generation += 1
        self._snapshot = None

    def _failing(self) -> bool:
        """A read failed less than ``max_age`` ago: not tried again yet."""
        return (self._failed_at is not None
                and self._monotonic() - self._failed_at < self.max_age)

    def _fresh(self) -> Subscriptions | None:
        snapshot = self._snapshot
        if snapshot is not None and self._monotonic() - self._taken_at < self.max_age:
            return snapshot
        return None

