"""Referral clicks handed over to tracking (``BFF.click_handover``): from a local journal
(the default), by group commit (durable at the broker before the 302), or from memory.

A redirect mints its click id here (the BFF knows the code's landing page:
``referrals``) and must not answer before the click is safe, yet must not wait for
tracking to record it. Three ways to make it safe, each a loss window (docs/reliability.md):

``journaled`` (``JournaledClickCapture``, the default): the redirect is answered once its
click is a line in this process's journal file (``click_journal``); a flusher publishes
the clicks every ``flush_interval`` and the journal forgets them once confirmed. A crash
of the BFF loses no answered click (the next BFF on the directory hands over what the
journal holds); a failure of the host itself (power, kernel) can lose the last
``flush_interval`` or so, which was never forced to the disk.

``confirmed`` (``ClickCapture``): concurrent redirects join one batch
(``batching.Batcher``), the batch goes to the broker as **one** ``clicks_captured``
message -- persistent, to tracking's durable queue, ``mandatory`` -- and each redirect is
answered once the broker has **confirmed** that message (publisher confirms: RabbitMQ
has written it to disk, or to a majority of a quorum queue's replicas). The loss window
of answered clicks is zero, whatever fails; each redirect waits for a confirm. What a
crash can lose is the clicks of the batch being published, whose visitors got no answer
(their connection drops; a browser shows an error). At most ``max_in_flight`` batches
await their confirm at once, each on its own connection (one confirm-mode channel each:
``common.nameko.confirms``). While they wait, the next batch fills; under light load a
batch of one goes at once, under load a batch lingers up to ``linger`` seconds for
company (``batching``): fewer, bigger messages cost the BFF, the broker and tracking
less per click.

``buffered`` (``BufferedClickCapture``): as ``journaled`` without the journal -- the
clicks a crash finds in the buffer were answered and are lost.

A message no queue took (tracking's queue missing: ``alpes topology`` not run) is
returned by the broker and counts as a failure, never as a confirm. In ``confirmed`` a
failed or unconfirmed publish is tried once more (same message id: tracking's inbox
takes a duplicate once), then every redirect of the batch answers 503 and nothing was
promised; the flushers keep what was not confirmed and try again.
"""
from __future__ import annotations

import collections
import logging
import time
import uuid
from typing import Any

import eventlet
from eventlet.event import Event
from eventlet.queue import LightQueue
from nameko.standalone.events import get_event_exchange

from common.contracts import bff as contract
from common.nameko import metrics
from common.nameko.confirms import ConfirmingPublisher, Outgoing
from common.seedwork.domain.clock import isoformat, utcnow
from common.seedwork.errors import ServiceUnavailable
from services.bff.batching import Batcher
from services.bff.click_journal import (
    ORPHAN_SCAN_SECONDS,
    ClickJournal,
    JournalUnavailable,
    Segment,
    directory_for,
)

log = logging.getLogger(__name__)

EVENT = contract.CLICKS_CAPTURED
ATTEMPTS = 2
CONFIRMED, BUFFERED, JOURNALED = "confirmed", "buffered", "journaled"


class _Handover:
    """What both ways of handing clicks over share: the message, the publishers."""

    def __init__(self, amqp_uri: str, config: dict, *, publishers: int, confirm_timeout: float,
                 check_contract: bool, publisher_factory):
        make = publisher_factory or (lambda: ConfirmingPublisher(
            amqp_uri, confirm_timeout=confirm_timeout))
        self._publishers: LightQueue = LightQueue()
        for _ in range(publishers):
            self._publishers.put(make())
        self._exchange = get_event_exchange(contract.SOURCE, config)
        self.check_contract = check_contract

    def _message(self, clicks: list[dict[str, Any]], correlation_id: str | None) -> Outgoing:
        payload = {"clicks": clicks}
        if self.check_contract:
            EVENT.serialize(payload)
        event_id = str(uuid.uuid4())
        body = {  # the platform's envelope (IntegrationEvent), built without copying clicks
            "event_id": event_id, "type": EVENT.name, "version": EVENT.version,
            "source": EVENT.source, "occurred_at": isoformat(utcnow()), "payload": payload,
            "correlation_id": correlation_id, "causation_id": None}
        headers = {"nameko.causation_id": event_id}
        if correlation_id:
            headers["nameko.correlation_id"] = correlation_id
        return Outgoing(body=body, exchange=self._exchange, routing_key=EVENT.name,
                        headers=headers, properties={"message_id": event_id,
                                                     "type": EVENT.name, "mandatory": True})

    def _confirmed(self, message: Outgoing, count: int, attempts: int = ATTEMPTS) -> bool:
        """Publish (again with the same message id if unconfirmed); True once confirmed."""
        publisher = self._publishers.get()
        try:
            for attempt in range(1, attempts + 1):
                if publisher.publish_batch([message]) == 1:
                    return True
                log.warning("clicks_captured (%d clicks) not confirmed by the broker "
                            "(attempt %d of %d)", count, attempt, attempts)
        finally:
            self._publishers.put(publisher)
        return False

    def start(self, spawn) -> None:
        """Nothing runs in the background by default."""

    def close(self) -> None:
        while not self._publishers.empty():
            self._publishers.get_nowait().close()


class ClickCapture(_Handover):
    """``confirmed``: each redirect waits for its batch's confirm."""

    mode = CONFIRMED

    def __init__(self, amqp_uri: str, config: dict, *, max_batch: int = 100,
                 max_in_flight: int = 1, linger: float = 0.0, confirm_timeout: float = 5.0,
                 check_contract: bool = False, publisher_factory=None):
        super().__init__(amqp_uri, config, publishers=max_in_flight,
                         confirm_timeout=confirm_timeout, check_contract=check_contract,
                         publisher_factory=publisher_factory)
        self._batches: Batcher[dict] = Batcher(min(max_batch, contract.MAX_CLICKS_PER_MESSAGE),
                                               max_in_flight, linger)

    def capture(self, click: dict[str, Any], correlation_id: str | None = None) -> None:
        """Returns once the broker has confirmed the message carrying ``click``
        (``{"click_id", "referral_code", "ip", "user_agent", "occurred_at"}``, wire form);
        raises ``ServiceUnavailable`` if it could not."""
        self._batches.submit(click, lambda clicks: self._publish(clicks, correlation_id))

    def _publish(self, clicks: list[dict[str, Any]], correlation_id: str | None) -> list[None]:
        if self._confirmed(self._message(clicks, correlation_id), len(clicks)):
            return [None] * len(clicks)
        raise ServiceUnavailable("The click could not be handed over; retry.",
                                 {"service": ["broker"]})


class BufferedClickCapture(_Handover):
    """``buffered``: a redirect is answered at once; its click waits in memory and a
    background thread publishes what is buffered every ``flush_interval`` seconds (or as
    soon as ``max_batch`` clicks wait), each message confirmed, retried until it is. The
    loss window -- answered clicks a crash of this process takes with it -- is what the
    buffer holds: about ``flush_interval`` of traffic plus the message awaiting its
    confirm; while the broker is away, everything buffered, up to ``max_buffered``
    clicks, beyond which redirects answer 503 rather than promise more."""

    mode = BUFFERED

    def __init__(self, amqp_uri: str, config: dict, *, max_batch: int = 100,
                 flush_interval: float = 0.1, max_buffered: int = 10_000,
                 confirm_timeout: float = 5.0, retry_pause: float = 0.5,
                 check_contract: bool = False, publisher_factory=None):
        super().__init__(amqp_uri, config, publishers=1, confirm_timeout=confirm_timeout,
                         check_contract=check_contract, publisher_factory=publisher_factory)
        self.max_batch = min(max_batch, contract.MAX_CLICKS_PER_MESSAGE)
        self.flush_interval = flush_interval
        self.max_buffered = max_buffered
        self.retry_pause = retry_pause
        self._buffer: collections.deque[dict[str, Any]] = collections.deque()
        self._full = Event()
        self._running = False
        self._stopped = Event()
        self._unconfirmed = metrics.CLICKS_UNCONFIRMED.labels("bff")

    def capture(self, click: dict[str, Any], correlation_id: str | None = None) -> None:
        """Returns at once: the click is buffered (``ServiceUnavailable`` when the buffer
        is full: the broker has not taken anything for a while)."""
        self._check_room()
        self._enqueue(click)

    def _check_room(self) -> None:
        if len(self._buffer) >= self.max_buffered:
            raise ServiceUnavailable("Clicks are not being handed over; retry.",
                                     {"service": ["broker"]})

    def _enqueue(self, click: dict[str, Any]) -> None:
        self._buffer.append(click)
        if len(self._buffer) >= self.max_batch and not self._full.ready():
            self._full.send(True)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def start(self, spawn) -> None:
        self._running = True
        spawn(self.run)

    def run(self) -> None:
        """The flusher: every ``flush_interval`` (sooner when a batch is full)."""
        try:
            while self._running:
                self._full.wait(self.flush_interval)
                self._between_flushes()
                if self._full.ready():
                    self._full.reset()
                flushed = self.flush()
                self._unconfirmed.set(len(self._buffer))
                if not flushed:
                    eventlet.sleep(self.retry_pause)  # the broker is away: try again soon
        finally:
            self._stopped.send(True)

    def flush(self) -> bool:
        """Publish what is buffered, a confirmed message per ``max_batch`` clicks; False
        (the rest kept, in order) at the first message the broker did not confirm."""
        while self._buffer:
            batch = [self._buffer[n] for n in range(min(len(self._buffer), self.max_batch))]
            if not self._confirmed(self._message(batch, None), len(batch), attempts=1):
                return False
            for _ in batch:  # only the flusher takes from the left; redirects append right
                self._buffer.popleft()
            self._handed_over(len(batch))
        return True

    def _between_flushes(self) -> None:
        """Nothing here; the journal looks for what crashed siblings left."""

    def _handed_over(self, count: int) -> None:
        """The first ``count`` clicks buffered were confirmed (and are gone from it)."""

    def _left_behind(self, count: int) -> None:
        log.error("%d answered click(s) could not be handed over before stopping: lost",
                  count)

    def close(self) -> None:
        """On a graceful stop: hand over what is buffered, then close."""
        if self._running:
            self._running = False
            if not self._full.ready():
                self._full.send(True)  # wake the flusher now
            self._stopped.wait()
        for _ in range(ATTEMPTS):
            if self.flush():
                break
        if self._buffer:
            self._left_behind(len(self._buffer))
        super().close()


class JournaledClickCapture(BufferedClickCapture):
    """``journaled`` (the default): a redirect is answered once its click is written to
    this process's journal (``click_journal``: a line in a local file, which a crash of
    this process does not take); the flusher hands clicks over as ``buffered``'s does and
    the journal forgets each once the broker has confirmed it. At start, and every
    ``orphan_scan_seconds``, the clicks that stopped processes left in the journal's
    directory are handed over too (tracking records a click id once, so a click sent
    again changes nothing). A click that cannot be written is refused with a 503."""

    mode = JOURNALED

    def __init__(self, amqp_uri: str, config: dict, *, journal: ClickJournal,
                 orphan_scan_seconds: float = ORPHAN_SCAN_SECONDS, **options):
        super().__init__(amqp_uri, config, **options)
        self.journal = journal
        self.orphan_scan_seconds = orphan_scan_seconds
        self._segments: collections.deque[Segment] = collections.deque()
        self._next_scan = 0.0

    def capture(self, click: dict[str, Any], correlation_id: str | None = None) -> None:
        """Returns once ``click`` is in the journal; ``ServiceUnavailable`` if it could not
        be written or the buffer is full (nothing promised either way)."""
        self._check_room()
        try:
            segment = self.journal.append(click)
        except JournalUnavailable as error:
            log.error("%s", error)
            raise ServiceUnavailable("The click could not be kept; retry.",
                                     {"service": ["click journal"]}) from error
        self._enqueue(click)
        self._segments.append(segment)

    def start(self, spawn) -> None:
        self.journal.prepare()
        self._adopt_orphans()
        super().start(spawn)

    def _between_flushes(self) -> None:
        if time.monotonic() >= self._next_scan:
            self._adopt_orphans()

    def _adopt_orphans(self) -> None:
        self._next_scan = time.monotonic() + self.orphan_scan_seconds
        try:
            orphans = self.journal.claim_orphans()
        except OSError:  # the flusher goes on; the next scan tries again
            log.exception("could not read what stopped BFFs left in %s", self.journal.directory)
            return
        for click, segment in orphans:
            self._enqueue(click)
            self._segments.append(segment)

    def _handed_over(self, count: int) -> None:
        segments = [self._segments.popleft() for _ in range(count)]
        try:
            self.journal.handed_over(segments)
        except OSError:  # a segment left on disk is handed over again: recorded once
            log.exception("could not forget confirmed clicks in %s", self.journal.directory)

    def _left_behind(self, count: int) -> None:
        log.warning("%d answered click(s) not handed over before stopping: kept in %s for "
                    "the next start", count, self.journal.directory)

    def close(self) -> None:
        super().close()
        self.journal.close()


def click_capture(mode: str, amqp_uri: str, config: dict, *, max_batch: int,
                  max_in_flight: int, linger: float, flush_interval: float,
                  max_buffered: int, journal_dir: str, check_contract: bool) -> _Handover:
    """The hand-over ``BFF.click_handover`` asks for."""
    if mode == JOURNALED:
        return JournaledClickCapture(
            amqp_uri, config, journal=ClickJournal(directory_for(journal_dir, amqp_uri)),
            max_batch=max_batch, flush_interval=flush_interval, max_buffered=max_buffered,
            check_contract=check_contract)
    if mode == BUFFERED:
        return BufferedClickCapture(amqp_uri, config, max_batch=max_batch,
                                    flush_interval=flush_interval, max_buffered=max_buffered,
                                    check_contract=check_contract)
    return ClickCapture(amqp_uri, config, max_batch=max_batch, max_in_flight=max_in_flight,
                        linger=linger, check_contract=check_contract)
