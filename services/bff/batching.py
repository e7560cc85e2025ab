"""Group commit for concurrent requests: their items share one round trip.

At most ``max_in_flight`` batches are on the wire; the first item to arrive opens the
next batch and sends it as soon as a slot is free, while the items arriving meanwhile
join it (up to ``max_batch``). So nothing waits under light load (a free slot: a batch
of one goes at once), and under load the batches grow to what arrives during one round
trip -- the batching adapts itself. ``linger`` adds one knob for the loaded case only:
while the last batch sent carried more than one item, a batch is not sent before it is
``linger`` seconds old (or full), so fewer, bigger batches go -- less work per item for
whoever sends and receives them, for at most ``linger`` more latency. A lone item after
a quiet spell never lingers.

The opener sends with its own ``send`` (its RPC client, its correlation id); each caller
gets its own item's result back. ``send`` answers one result per item, in order; a
result that is an exception is raised to that item's caller only, and an exception
``send`` raises reaches every caller of the batch.

Used by the referral redirect twice: code look-ups on a miss (``referrals``) and the
clicks' hand-over to tracking (``clicks``).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from eventlet.event import Event
from eventlet.semaphore import Semaphore

Item = TypeVar("Item")
Send = Callable[[list[Any]], list[Any]]


class _Batch(Generic[Item]):
    __slots__ = ("items", "done", "opened_at", "full")

    def __init__(self):
        self.items: list[Item] = []
        self.done = Event()
        self.opened_at = time.monotonic()
        self.full = Event()


class Batcher(Generic[Item]):
    def __init__(self, max_batch: int = 100, max_in_flight: int = 2, linger: float = 0.0):
        if max_batch < 1 or max_in_flight < 1 or linger < 0:
            raise ValueError("max_batch and max_in_flight must be at least 1, linger >= 0")
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.linger = linger
        self._slots = Semaphore(max_in_flight)
        self._open: _Batch[Item] | None = None
        self._busy = False  # the last batch sent carried more than one item: under load

    def submit(self, item: Item, send: Send) -> Any:
        """This item's result, once its batch has been sent."""
        batch, position = self._join(item)
        if position == 0:
            self._send_when_ready(batch, send)
        result = batch.done.wait()[position]
        if isinstance(result, BaseException):
            raise result
        return result

    def _join(self, item: Item) -> tuple[_Batch[Item], int]:
        batch = self._open
        if batch is None:
            batch = self._open = _Batch()
        batch.items.append(item)
        if len(batch.items) >= self.max_batch:
            self._close(batch)
            if not batch.full.ready():
                batch.full.send(True)
        return batch, len(batch.items) - 1

    def _close(self, batch: _Batch[Item]) -> None:
        if self._open is batch:
            self._open = None

    def _send_when_ready(self, batch: _Batch[Item], send: Send) -> None:
        with self._slots:  # others join while the batches before this one are in flight
            left = batch.opened_at + self.linger - time.monotonic()
            if left > 0 and self._busy and self._open is batch:
                batch.full.wait(left)  # under load: let more join, unless it fills first
            self._close(batch)
            self._busy = len(batch.items) > 1
            try:
                results = send(batch.items)
                if len(results) != len(batch.items):
                    raise RuntimeError(f"{len(results)} results for {len(batch.items)} items")
                batch.done.send(results)
            except Exception as failure:  # noqa: BLE001 -- every item of the batch gets it
                batch.done.send_exception(failure)
