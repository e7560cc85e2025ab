"""A reliable ``@event_handler``: declared queues, poison at once, retry with backoff,
dead letters, inbox.

Nameko's own handler acks and drops a message whose handler raised, acks and drops a
message it cannot decode, and a queue that does not exist yet when an event is published
means the event is lost. This entrypoint closes those holes:

* its queue (same name and arguments as Nameko's ``SERVICE_POOL`` handler queue), the
  binding, a retry queue and the service's dead-letter queue are declared in
  ``setup()`` -- and by ``alpes topology`` before any service starts. A handler declared
  ``bound_on_demand=True`` gets its queue unbound: it receives nothing until the service
  binds it (``bind_handler_queue``), for a consumer that only needs a type once someone
  asked for it (webhooks: once an endpoint subscribes). Nothing ever unbinds it;
* every message is checked before a worker exists (``receive``: one place for every
  handler of every service): a body that does not decode, a content type other than
  JSON, a malformed envelope, another event type, a version the handler's contract does
  not list, or a payload that breaks the contract is *poison*: it goes to
  ``dlq.<service>`` at once with its reason, its raw body and content type, its headers
  and the consumer named. No worker runs, so nothing is written, called or published;
* the handler gets a :class:`ReceivedEvent` (payload read by the contract, upgraded to
  its current version). When the handler raises, the message is republished to
  ``<queue>.retry`` with a per-message TTL (exponential backoff); RabbitMQ dead-letters
  it back into the handler queue when the TTL expires. After ``max_attempts`` (or at
  once for a ``ValidationError`` the handler raises) it goes to ``dlq.<service>``, where
  an operator can list and replay it (``alpes dead-letters``). The
  original delivery is acked only after that publish is confirmed: nothing is lost;
* the unit of work of a worker started by this entrypoint is guarded by the inbox, so a
  redelivered event changes nothing (see MessageBusProvider) -- unless the handler is
  declared ``inbox=False``: its writes are idempotent by themselves (say, inserts keyed
  by the event id that ignore duplicates) and it needs no inbox row per event.

    @event_handler(tracking.CONVERSION_ATTRIBUTED)
    def on_conversion_attributed(self, event: ReceivedEvent): ...
"""
from __future__ import annotations

import logging
import traceback
import uuid
from functools import partial

import eventlet
from kombu import Connection, Exchange, Queue
from kombu.exceptions import ContentDisallowed
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.standalone.events import get_event_exchange

from common.nameko import metrics
from common.nameko.config import section
from common.nameko.consumers import ResilientQueueConsumer
from common.nameko.queues import (
    dead_letter_queue_arguments,
    declare_kombu_queue,
    declare_queue,
    handler_queue_arguments,
    retry_queue_arguments,
)
from common.seedwork.application.integration import (
    ContentNotAccepted,
    PoisonMessage,
    ReadableContract,
    UndecodableMessage,
    receive,
)
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
H_REASON = "x-alpes-reason"              # poison reason, or handler_failed / rejected_by_handler
H_CONTENT_TYPE = "x-alpes-content-type"  # as received ("" when the message had none)
H_CONTRACT = "x-alpes-contract"          # "<source>.<type>" the consumer reads
H_VERSIONS = "x-alpes-versions"          # the versions it understands, e.g. "1,2"
HANDLER_FAILED = "handler_failed"            # raised max_attempts times
REJECTED_BY_HANDLER = "rejected_by_handler"  # raised a ValidationError: retrying cannot help
RAW_CONTENT_TYPE = "application/octet-stream"
INTERNAL_HEADER_PREFIXES = ("x-alpes-", "x-death", "x-first-death", "x-last-death",
                            "x-delivery-count")  # the last: set by quorum queues


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
                             service: str, method: str, bound: bool = True) -> None:
    """Declare exchange, handler queue + binding, retry queue and DLQ (idempotent), of
    the type ``QUEUES`` configures (common/nameko/queues.py). A queue that exists with
    another type or arguments raises ``QueueMismatch``. ``bound=False``: the queue
    without its binding (one there already stays)."""
    queue_name = handler_queue_name(source, event_type, service, method)
    exchange = get_event_exchange(source, config)
    dead_letters = dead_letter_queue_name(service)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        exchange(channel).declare()
        declare_kombu_queue(channel, config, _handler_queue(
            config, queue_name, exchange if bound else None, event_type, dead_letters))
        declare_queue(channel, config, retry_queue_name(queue_name),
                      arguments=retry_queue_arguments(config, queue_name))
        declare_queue(channel, config, dead_letters,
                      arguments=dead_letter_queue_arguments(config))
        channel.close()


def bind_handler_queue(config: dict, *, source: str, event_type: str, service: str,
                       method: str) -> None:
    """From now on the handler's queue receives its events (idempotent): the topology
    of a ``bound_on_demand`` handler, declared with its binding."""
    declare_handler_topology(config[AMQP_URI_CONFIG_KEY], config, source=source,
                             event_type=event_type, service=service, method=method)


def _handler_queue(config: dict, name: str, exchange, event_type: str,
                   dead_letters: str) -> Queue:
    """The handler's queue; without ``exchange``, declaring it binds nothing."""
    return Queue(name, exchange=exchange, routing_key=event_type if exchange else None,
                 durable=True, auto_delete=False, exclusive=False,
                 queue_arguments=handler_queue_arguments(config, dead_letters))


class PoisonAwareQueueConsumer(ResilientQueueConsumer):
    """Nameko's queue consumer, except that a message kombu cannot decode (bad JSON, a
    content type other than the accepted ones) goes to its handler's dead letters
    instead of being acked and dropped with a log line (kombu's ``on_decode_error``)."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue], callbacks=[partial(self.handle_message, provider)],
                accept=self.accept, on_decode_error=partial(self._undecodable, provider))
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def _undecodable(self, provider, message, exc):
        self.container.spawn_managed_thread(
            partial(provider.handle_undecodable, message, exc),
            identifier=f"{type(provider).__name__}.handle_undecodable")


class ReliableEventHandler(EventHandler):
    is_reliable_event_handler = True
    queue_consumer = PoisonAwareQueueConsumer()

    def __init__(self, contract: ReadableContract, versions=None, *, inbox: bool = True,
                 bound_on_demand: bool = False, **kwargs):
        kwargs.pop("handler_type", None)
        self.contract = contract
        self.inbox = inbox  # False: the handler is idempotent without one (see above)
        self.bound_on_demand = bound_on_demand  # True: unbound until bind_handler_queue
        self.versions = tuple(versions or contract.versions)
        unknown = set(self.versions) - set(contract.versions)
        if unknown:
            raise ValueError(f"{contract.source}.{contract.name} has no version {unknown}")
        super().__init__(contract.source, contract.name, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        super().setup()
        config = self.container.config
        # as declare_handler_topology declares it (the consumer re-declares it on connect:
        # a bound_on_demand queue without its binding, so a reconnect does not bind it)
        self.queue = _handler_queue(
            config, self.queue.name, None if self.bound_on_demand else self.queue.exchange,
            self.event_type, dead_letter_queue_name(self.container.service_name))
        self.policy = section(config, "EVENT_HANDLER_RETRY", RETRY_DEFAULTS)
        amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self._publisher = Publisher(amqp_uri, use_confirms=True, serializer="json")
        declare_handler_topology(
            amqp_uri, config, source=self.source_service, event_type=self.event_type,
            service=self.container.service_name, method=self.method_name,
            bound=not self.bound_on_demand)

    # receiving ---------------------------------------------------------------------------
    def handle_message(self, body, message):
        try:
            event = receive(body, self.contract, self.versions)
        except PoisonMessage as poison:
            self._settle_poison(message, poison)
            return
        handle_result = partial(self.handle_result, message)
        try:
            self.container.spawn_worker(
                self, (event,), {}, context_data=self.unpack_message_headers(message),
                handle_result=handle_result)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_undecodable(self, message, exc):
        kind = ContentNotAccepted if isinstance(exc, ContentDisallowed) else UndecodableMessage
        self._settle_poison(message, kind(f"{type(exc).__name__}: {exc}"[:500]))

    def unpack_message_headers(self, message):
        headers = super().unpack_message_headers(message)
        return {key: value for key, value in headers.items()
                if not key.startswith(INTERNAL_HEADER_PREFIXES)}

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        self._settle(message, partial(self._retry_or_dead_letter, message, exc_info))

    # settling failed messages ------------------------------------------------------------
    def _settle_poison(self, message, poison: PoisonMessage) -> None:
        log.error("%s: poison message dead-lettered at once (%s): %s", self.consumer_name,
                  poison.reason, poison.message)
        self._settle(message, partial(self._dead_letter, message, attempt=1,
                                      reason=poison.reason, error=_describe(poison),
                                      error_type=type(poison).__name__, trace=""))

    def _settle(self, message, park) -> None:
        """Ack only once the message is safely parked (retry queue or dead letters)."""
        try:
            park()
        except Exception:
            log.exception("could not park failed message of %s; requeueing it", self.queue.name)
            eventlet.sleep(1)  # do not spin if the broker refuses publishes
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _retry_or_dead_letter(self, message, exc_info) -> None:
        exc_type, exc, tb = exc_info
        attempt = int((message.headers or {}).get(H_ATTEMPT, 1))
        permanent = isinstance(exc, PERMANENT_ERRORS)
        if not permanent and attempt < self.policy["max_attempts"]:
            delay = backoff_ms(attempt, self.policy)
            log.warning("%s failed (attempt %d/%d): %s; retrying in %d ms", self.consumer_name,
                        attempt, self.policy["max_attempts"], _describe(exc), delay)
            self._republish(message, routing_key=retry_queue_name(self.queue.name),
                            headers={H_ATTEMPT: attempt + 1}, expiration=delay / 1000.0)
            self._count("retried")
            return
        log.error("%s failed %d time(s)%s; dead-lettered: %s", self.consumer_name, attempt,
                  " (permanent error)" if permanent else "", _describe(exc))
        self._dead_letter(
            message, attempt=attempt, reason=REJECTED_BY_HANDLER if permanent else HANDLER_FAILED,
            error=_describe(exc), error_type=exc_type.__name__,
            trace="".join(traceback.format_exception(exc_type, exc, tb)))

    def _dead_letter(self, message, *, attempt: int, reason: str, error: str,
                     error_type: str, trace: str) -> None:
        self._republish(message, routing_key=dead_letter_queue_name(self.container.service_name),
                        headers={
                            H_ATTEMPT: attempt, H_QUEUE: self.queue.name,
                            H_HANDLER: self.consumer_name, H_REASON: reason,
                            H_ERROR: error[:2000], H_ERROR_TYPE: error_type,
                            H_TRACEBACK: trace[-4000:], H_FAILED_AT: isoformat(utcnow()),
                            H_DEAD_LETTER_ID: str(uuid.uuid4()),
                            H_CONTENT_TYPE: message.content_type or "",
                            H_CONTRACT: f"{self.contract.source}.{self.contract.name}",
                            H_VERSIONS: ",".join(map(str, self.versions))})
        self._count("dead_lettered", reason)

    def _count(self, outcome: str, reason: str | None = None) -> None:
        """Delivery metrics, once the message is parked (retry queue or dead letters)."""
        service = self.container.service_name
        metrics.EVENT_DELIVERIES.labels(service, self.consumer_name, outcome).inc()
        if reason is not None:
            metrics.DEAD_LETTERS.labels(service, self.consumer_name, reason).inc()

    def _republish(self, message, *, routing_key: str, headers: dict, **options) -> None:
        """The message as received -- raw body, content type and encoding, headers --
        with ``headers`` added."""
        received = {key: value for key, value in (message.headers or {}).items()
                    if key != "x-delivery-count"}  # the broker's count, per queue
        self._publisher.publish(
            _raw_body(message), exchange=Exchange(""), routing_key=routing_key,
            headers={**received, **headers},
            content_type=message.content_type or RAW_CONTENT_TYPE,
            content_encoding=message.content_encoding or "binary",
            message_id=message.properties.get("message_id"),
            type=message.properties.get("type"), **options)


def _raw_body(message) -> bytes:
    body = message.body
    if isinstance(body, str):
        return body.encode(message.content_encoding or "utf-8")
    return bytes(body)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


event_handler = ReliableEventHandler.decorator
