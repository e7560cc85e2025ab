"""A reliable ``@event_handler``: declared queues, retry with backoff, dead letters, inbox.

Nameko's own handler acks and drops a message whose handler raised, and a queue that
does not exist yet when an event is published means the event is lost. This entrypoint
closes both holes:

* its queue (same name and arguments as Nameko's ``SERVICE_POOL`` handler queue), the
  binding, a retry queue and the service's dead-letter queue are declared in
  ``setup()`` -- and by ``python -m common.nameko.topology`` before any service starts;
* when the handler raises, the message is republished to ``<queue>.retry`` with a
  per-message TTL (exponential backoff); RabbitMQ dead-letters it back into the handler
  queue when the TTL expires. After ``max_attempts`` (or at once for a malformed
  message) it goes to ``dlq.<service>`` with the error, where an operator can list and
  replay it (``python -m common.nameko.dead_letters``). The original delivery is acked
  only after that publish is confirmed: nothing is lost;
* the unit of work of a worker started by this entrypoint is guarded by the inbox, so a
  redelivered event changes nothing (see MessageBusProvider).
"""
from __future__ import annotations

import logging
import traceback
import uuid

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventHandler
from nameko.standalone.events import get_event_exchange

from common.nameko.config import section
from common.seedwork.domain.clock import isoformat, utcnow
from common.seedwork.errors import ValidationError

log = logging.getLogger(__name__)

RETRY_DEFAULTS = {
    "max_attempts": 5,          # deliveries in all, the first one included
    "initial_delay_ms": 500,
    "multiplier": 3.0,
    "max_delay_ms": 60_000,
}
PERMANENT_ERRORS = (ValidationError,)  # retrying a malformed message cannot help

H_ATTEMPT = "x-alpes-attempt"
H_QUEUE = "x-alpes-queue"
H_ERROR = "x-alpes-error"
H_ERROR_TYPE = "x-alpes-error-type"
H_TRACEBACK = "x-alpes-traceback"
H_FAILED_AT = "x-alpes-failed-at"
H_DEAD_LETTER_ID = "x-alpes-dead-letter-id"
H_HANDLER = "x-alpes-handler"
INTERNAL_HEADER_PREFIXES = ("x-alpes-", "x-death", "x-first-death", "x-last-death")


def handler_queue_name(source: str, event_type: str, service: str, method: str) -> str:
    return f"evt-{source}-{event_type}--{service}.{method}"


def retry_queue_name(queue_name: str) -> str:
    return f"{queue_name}.retry"


def dead_letter_queue_name(service: str) -> str:
    return f"dlq.{service}"


def backoff_ms(attempt: int, policy: dict) -> int:
    """Delay before delivery number ``attempt + 1``."""
    delay = policy["initial_delay_ms"] * policy["multiplier"] ** max(attempt - 1, 0)
    return int(min(delay, policy["max_delay_ms"]))


def declare_handler_topology(amqp_uri: str, config: dict, *, source: str, event_type: str,
                             service: str, method: str) -> None:
    """Declare exchange, handler queue + binding, retry queue and DLQ (idempotent)."""
    queue_name = handler_queue_name(source, event_type, service, method)
    exchange = get_event_exchange(source, config)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        exchange(channel).declare()
        Queue(queue_name, exchange=exchange, routing_key=event_type, durable=True,
              auto_delete=False, exclusive=False)(channel).declare()
        _declare_plain_queue(channel, retry_queue_name(queue_name), {
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name})
        _declare_plain_queue(channel, dead_letter_queue_name(service), None)
        channel.close()


def _declare_plain_queue(channel, name: str, arguments: dict | None) -> None:
    channel.queue_declare(queue=name, durable=True, auto_delete=False, exclusive=False,
                          arguments=arguments or {})


class ReliableEventHandler(EventHandler):
    is_reliable_event_handler = True

    def __init__(self, source_service, event_type, **kwargs):
        kwargs.pop("handler_type", None)
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        super().setup()
        config = self.container.config
        self.policy = section(config, "EVENT_HANDLER_RETRY", RETRY_DEFAULTS)
        amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self._publisher = Publisher(amqp_uri, use_confirms=True, serializer="json")
        declare_handler_topology(
            amqp_uri, config, source=self.source_service, event_type=self.event_type,
            service=self.container.service_name, method=self.method_name)

    def unpack_message_headers(self, message):
        headers = super().unpack_message_headers(message)
        return {key: value for key, value in headers.items()
                if not key.startswith(INTERNAL_HEADER_PREFIXES)}

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        try:
            self._retry_or_dead_letter(message, exc_info)
        except Exception:
            log.exception("could not park failed message of %s; requeueing it", self.queue.name)
            eventlet.sleep(1)  # do not spin if the broker refuses publishes
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _retry_or_dead_letter(self, message, exc_info) -> None:
        exc_type, exc, tb = exc_info
        headers = dict(message.headers or {})
        attempt = int(headers.get(H_ATTEMPT, 1))
        permanent = isinstance(exc, PERMANENT_ERRORS)
        if not permanent and attempt < self.policy["max_attempts"]:
            delay = backoff_ms(attempt, self.policy)
            headers[H_ATTEMPT] = attempt + 1
            log.warning("%s failed (attempt %d/%d): %s; retrying in %d ms", self.consumer_name,
                        attempt, self.policy["max_attempts"], _describe(exc), delay)
            self._publisher.publish(
                message.payload, exchange=Exchange(""), routing_key=retry_queue_name(
                    self.queue.name), headers=headers, expiration=delay / 1000.0,
                message_id=message.properties.get("message_id"),
                type=message.properties.get("type"))
            return
        headers.update({
            H_ATTEMPT: attempt, H_QUEUE: self.queue.name, H_HANDLER: self.consumer_name,
            H_ERROR: _describe(exc)[:2000], H_ERROR_TYPE: exc_type.__name__,
            H_TRACEBACK: "".join(traceback.format_exception(exc_type, exc, tb))[-4000:],
            H_FAILED_AT: isoformat(utcnow()), H_DEAD_LETTER_ID: str(uuid.uuid4()),
        })
        log.error("%s failed %d time(s)%s; dead-lettered: %s", self.consumer_name, attempt,
                  " (permanent error)" if permanent else "", _describe(exc))
        self._publisher.publish(
            message.payload, exchange=Exchange(""),
            routing_key=dead_letter_queue_name(self.container.service_name), headers=headers,
            message_id=message.properties.get("message_id"),
            type=message.properties.get("type"))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


event_handler = ReliableEventHandler.decorator
