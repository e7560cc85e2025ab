"""Referral clicks, micro-batched: concurrent ``GET /r/<code>`` share one RPC.

Every redirect must wait for its click id, so the click cannot be fire-and-forget; but one
``tracking.record_clicks`` call for many clicks costs about what one ``record_click``
costs. At most ``max_in_flight`` batches are on the wire; the first request to arrive
opens the next batch and sends it as soon as a slot is free, while the requests arriving
meanwhile join it (up to ``max_batch``). So nothing waits under light load (a free slot:
a batch of one goes at once), and under load the batches grow to what arrives during
one round trip -- the batching adapts itself, with no timer to tune.

The opener sends with its own RPC client (its timeout applies to the whole batch); each
request gets its own result back, an error item raising that click's own error (an
unknown code: 404). The batch travels with the opener's correlation id; the others'
request ids stay in their own log lines.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventlet.event import Event
from eventlet.semaphore import Semaphore

from services.bff import errors

Send = Callable[[list[dict[str, Any]]], dict[str, Any]]


class _Batch:
    def __init__(self):
        self.clicks: list[dict[str, Any]] = []
        self.done = Event()


class ClickBatcher:
    def __init__(self, max_batch: int = 100, max_in_flight: int = 2):
        self.max_batch = max_batch
        self._slots = Semaphore(max_in_flight)
        self._open: _Batch | None = None

    def record(self, click: dict[str, Any], send: Send) -> dict[str, Any]:
        """This click's ``{"click_id", "redirect_url", "attributable"}``."""
        batch, position = self._join(click)
        if position == 0:
            self._send_when_ready(batch, send)
        results = batch.done.wait()
        return _outcome(results[position])

    def _join(self, click: dict[str, Any]) -> tuple[_Batch, int]:
        batch = self._open
        if batch is None:
            batch = self._open = _Batch()
        batch.clicks.append(click)
        if len(batch.clicks) >= self.max_batch:
            self._close(batch)
        return batch, len(batch.clicks) - 1

    def _close(self, batch: _Batch) -> None:
        if self._open is batch:
            self._open = None

    def _send_when_ready(self, batch: _Batch, send: Send) -> None:
        with self._slots:  # others join while the batches before this one are in flight
            self._close(batch)
            try:
                batch.done.send(send(batch.clicks)["results"])
            except Exception as failure:  # noqa: BLE001 -- every click of the batch gets it
                batch.done.send_exception(failure)


def _outcome(result: dict[str, Any]) -> dict[str, Any]:
    if "error" in result:
        raise errors.from_error_dict(result["error"])
    return result
