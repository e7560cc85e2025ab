"""Batch publishing with pipelined publisher confirms.

Waiting for the broker's confirm after each message (what ``confirm_publish`` does)
costs one round trip per event -- and under load each wait also hands the CPU to every
other ready green thread, so a busy service's relay falls seconds behind. Here a batch
goes out on one confirm-mode channel back to back, then the publisher waits once for
the broker's acks (RabbitMQ acks, often ``multiple``, in publish order).

``publish_batch`` returns how many messages from the start of the batch are confirmed;
whatever follows the first unconfirmed one is the caller's to retry (the outbox sweep).
A message published ``mandatory`` (``Outgoing.properties``) that no queue took is
returned by the broker before its ack: it counts as not confirmed (RabbitMQ acks an
unroutable message all the same).
Any connection or channel error drops the connection; the next batch reconnects -- to
the next broker of a ``;``-separated ``AMQP_URI`` when the one it used is gone (each
broker of the list is tried once per batch).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kombu import Connection, Exchange, Producer
from nameko.constants import PERSISTENT

log = logging.getLogger(__name__)


@dataclass
class Outgoing:
    body: Any
    exchange: Exchange
    routing_key: str
    headers: dict = field(default_factory=dict)
    properties: dict = field(default_factory=dict)  # message_id, type...


class ConfirmingPublisher:
    def __init__(self, amqp_uri: str, *, confirm_timeout: float = 10.0,
                 connect_timeout: float = 5.0):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self.connect_timeout = connect_timeout
        self._connection: Connection | None = None
        self._channel = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()
        self._next_tag = 1
        self._acked_upto = 0
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._message_ids: dict[int, str] = {}   # tag -> message id, for returns
        self._returned: set[str] = set()         # message ids no queue took

    def publish_batch(self, messages: Iterable[Outgoing]) -> int:
        messages = list(messages)
        if not messages:
            return 0
        first_tag = self._next_tag
        try:
            producer = self._ensure()
            first_tag = self._next_tag  # a channel opened just now numbers from 1 again
            for message in messages:
                self._declare(message.exchange)
                producer.publish(
                    message.body, exchange=message.exchange, routing_key=message.routing_key,
                    serializer="json", delivery_mode=PERSISTENT, headers=message.headers,
                    retry=False, **message.properties)
                if message.properties.get("mandatory"):
                    self._message_ids[self._next_tag] = message.properties.get("message_id")
                self._next_tag += 1
            self._await_confirms(first_tag, self._next_tag - 1)
        except Exception:
            log.warning("batch publish failed; the connection will be reopened", exc_info=True)
            confirmed = self._confirmed_prefix(first_tag, len(messages))
            self.close()
            return confirmed
        return self._confirmed_prefix(first_tag, len(messages))

    def close(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = self._producer = None
        self._declared.clear()
        if connection is not None:
            try:
                connection.release()
            except Exception:  # pragma: no cover - already broken
                pass

    # internals ---------------------------------------------------------------------------
    def _ensure(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, connect_timeout=self.connect_timeout)
            # each broker of a failover list once, without sleeping between them (kombu
            # counts every host tried as a retry); one broker: two tries, as always
            connection.ensure_connection(max_retries=max(len(connection.alt) - 1, 1))
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._connection, self._channel = connection, channel
            self._producer = Producer(channel)
            self._next_tag, self._acked_upto = 1, 0
            self._acked.clear()
            self._nacked.clear()
            self._message_ids.clear()
            self._returned.clear()
        return self._producer

    def _declare(self, exchange: Exchange) -> None:
        if exchange.name not in self._declared:
            exchange(self._channel).declare()
            self._declared.add(exchange.name)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._acked_upto = max(self._acked_upto, delivery_tag)
        else:
            self._acked.add(delivery_tag)
        while self._acked_upto + 1 in self._acked:
            self._acked_upto += 1
            self._acked.discard(self._acked_upto)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._nacked.update(range(self._acked_upto + 1, delivery_tag + 1))
        else:
            self._nacked.add(delivery_tag)

    def _on_return(self, exc, exchange, routing_key, message) -> None:
        message_id = (getattr(message, "properties", None) or {}).get("message_id")
        log.warning("the broker returned a message no queue took (%s, %s): %s",
                    exchange, routing_key, exc)
        if message_id:
            self._returned.add(message_id)

    def _settled(self, tag: int) -> bool:
        return tag <= self._acked_upto or tag in self._acked or tag in self._nacked

    def _await_confirms(self, first_tag: int, last_tag: int) -> None:
        """Until the broker acked or nacked every message of the batch."""
        deadline = time.monotonic() + self.confirm_timeout
        while any(not self._settled(tag) for tag in range(first_tag, last_tag + 1)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the broker did not confirm the batch in time")
            self._connection.drain_events(timeout=remaining)

    def _confirmed_prefix(self, first_tag: int, count: int) -> int:
        tags = range(first_tag, first_tag + count)
        returned = {tag for tag in tags
                    if (self._message_ids.pop(tag, None) or "") in self._returned}
        self._returned.clear()  # returns come before their acks: this batch's are all here
        confirmed = 0
        for tag in tags:
            if (tag in self._nacked or tag in returned
                    or not (tag <= self._acked_upto or tag in self._acked)):
                break
            confirmed += 1
        return confirmed
