"""Nameko's queue consumer, without the one error that kills a container when its broker
goes away.

Nameko acks (or requeues) a message on the channel it came from, and ignores the error
when that channel's connection is gone -- but only ``amqp.exceptions.ConnectionError``.
When a broker node shuts down, its close frame and then a reset socket can reach a
worker finishing its message first: ``basic.ack`` raises the builtin
``ConnectionResetError`` (an ``OSError``), the worker's thread dies with it and Nameko
kills the whole container (the process exits). Seen on a 3-node cluster with the
node stopped under load (tests/cluster).

A message whose ack could not be sent is still unacknowledged on a dead connection:
the broker delivers it again (to this process once it reconnected, or to another), and
the receiving side is idempotent (the inbox; an RPC caller's timeout). So the error is
logged and ignored, as Nameko means to.
"""
from __future__ import annotations

import logging

from amqp.exceptions import ConnectionError as AmqpConnectionError
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)

LOST_CONNECTION = (OSError, AmqpConnectionError)


class ResilientQueueConsumer(QueueConsumer):
    def ack_message(self, message):
        self._settle(message, message.ack, "ack")

    def requeue_message(self, message):
        self._settle(message, message.requeue, "requeue")

    @staticmethod
    def _settle(message, settle, what: str) -> None:
        if not message.channel.connection:  # gone: the broker already took it back
            return
        try:
            settle()
        except LOST_CONNECTION as error:
            log.warning("could not %s a message (%s: %s): the connection is gone; the "
                        "broker delivers it again", what, type(error).__name__, error)
