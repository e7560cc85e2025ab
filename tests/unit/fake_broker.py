"""A broker channel for unit tests of publishers: ``ConfirmingPublisher``'s own
bookkeeping (tags, acks, nacks, returns) over a fake connection that plays the broker's
answers, one per publish."""
from __future__ import annotations

import eventlet

from common.nameko.confirms import ConfirmingPublisher


class FakeBroker:
    """What the broker answers each publish, in order: "ack", "nack", "return" (no queue
    bound: returned, then acked, as RabbitMQ does) or "silent" (no confirm: a timeout)."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.published: list[dict] = []
        self.connections = 0


class FakeChannelPublisher(ConfirmingPublisher):
    """The real publisher's bookkeeping over a fake channel: publish records the message,
    draining events plays the broker's answer."""

    def __init__(self, broker: FakeBroker):
        super().__init__("memory://", confirm_timeout=0.05)
        self.broker = broker
        self._due: list[tuple[str, int, dict]] = []

    def _ensure(self):
        if self._producer is None:
            self.broker.connections += 1
            self._connection, self._producer = self, self
            self._next_tag, self._acked_upto = 1, 0
            self._acked.clear()
            self._nacked.clear()
            self._message_ids.clear()
            self._returned.clear()
        return self._producer

    def _declare(self, exchange):
        pass

    # the fake producer and connection
    def publish(self, body, **options):
        eventlet.sleep(0.005)  # the broker's round trip: the next batch fills meanwhile
        self.broker.published.append({"body": body, **options})
        answer = self.broker.answers.pop(0) if self.broker.answers else "ack"
        self._due.append((answer, self._next_tag, options))

    def drain_events(self, timeout=None):
        if not self._due:
            raise TimeoutError("nothing to drain")
        answer, tag, options = self._due.pop(0)
        if answer == "silent":
            raise TimeoutError("no confirm")
        if answer == "return":
            self._on_return(Exception("NO_ROUTE"), options["exchange"], options["routing_key"],
                            type("Returned", (), {"properties": {
                                "message_id": options.get("message_id")}})())
        (self._on_nack if answer == "nack" else self._on_ack)(tag, False)

    def release(self):
        pass
