"""RPC conventions: the ``api`` entrypoint and an RPC client with timeouts.

``@api`` is Nameko's ``@rpc`` with our typed errors declared as expected (they are the
method's contract, not failures of the service, so Nameko does not log them as such).
``rpc`` (the entrypoint ``api`` and ``health`` use) answers without a broker confirm and
serializes the answer once: Nameko waits for the broker to confirm every reply, a round
trip per call that buys nothing a caller needs -- a reply lost between the server and the
broker is a reply the caller never gets, exactly like one lost after, and the caller's
timeout (``RpcClient``) already covers both. Requests keep their confirms: Nameko detects
a call to a service that does not exist through them (``UnknownService``).

``RpcClient`` replaces Nameko's in-service ``RpcProxy``, which waits forever: every call
has a timeout (``RPC_TIMEOUT_SECONDS`` in config.yaml, 5 s by default). The request
message carries the same TTL, so a call nobody answered in time is dropped by the broker
instead of running later behind the caller's back. A call to a service that does not
answer -- or that has never run -- raises the typed ``ServiceUnavailable``.
"""
from __future__ import annotations

import inspect
import logging
import sys
import time

import eventlet
import kombu.serialization
from kombu import Connection
from kombu.pools import ProducerPool, producers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
)
from nameko.exceptions import (
    IncorrectSignature,
    UnknownService,
    UnserializableValueError,
    serialize,
)
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, ServiceProxy, get_rpc_exchange

from common.nameko import context, metrics, tracing
from common.nameko.consumers import ResilientQueueConsumer
from common.nameko.errors import EXPECTED_ERRORS
from common.nameko.queues import check_existing_queue, reply_queue_durable, rpc_queue_arguments
from common.seedwork.errors import ServiceUnavailable

DEFAULT_TIMEOUT_SECONDS = 5.0
# a reply whose connection broke is sent again at once on a new one (the next broker of
# a failover list), twice at most; then it is given up (the caller times out)
REPLY_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

log = logging.getLogger(__name__)



def reply_producers(config: dict) -> ProducerPool:
    """The pool replies are published from, found once per consumer: Nameko's
    ``get_producer`` builds a kombu ``Connection`` (parsing the URI) to look the pool up
    for every message (~3 % of a command's CPU)."""
    transport_options = {**REPLY_RETRY, "confirm_publish": False}
    return producers[Connection(config[AMQP_URI_CONFIG_KEY],
                                transport_options=transport_options,
                                ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                login_method=config.get(LOGIN_METHOD_CONFIG_KEY))]


class Reply:
    """One RPC answer, published once serialized, without a broker confirm and not
    persistent (reply queues are exclusive to a live caller)."""

    def __init__(self, config: dict, message, pool: ProducerPool):
        self.config = config
        self.message = message
        self.pool = pool

    def send(self, result, exc_info):
        content_type = self.message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            _, encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer)
        except Exception:  # an unserializable result: the caller gets the error instead
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            _, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer)
        config = self.config
        reply_to = self.message.properties["reply_to"]
        try:
            with self.pool.acquire(block=True) as producer:
                producer.publish(body, content_type=content_type, content_encoding=encoding,
                                 exchange=get_rpc_exchange(config), retry=True,
                                 retry_policy=REPLY_RETRY, routing_key=reply_to,
                                 correlation_id=self.message.properties.get("correlation_id"),
                                 delivery_mode=1)
        except Exception as error:  # raised here it would kill the container (Nameko)
            log.warning("the reply to %s is lost (%s: %s); its caller's timeout covers it",
                        reply_to, type(error).__name__, error)
        return result, exc_info


class UnconfirmedRpcConsumer(RpcConsumer):
    queue_consumer = ResilientQueueConsumer()  # shared with the reply listener

    def setup(self):
        """Nameko's ``rpc-<service>`` queue, of the type ``QUEUES`` configures (quorum on
        a cluster: common/nameko/queues.py). An existing queue of another type is
        refused here, in words, instead of the consumer's reconnecting for ever."""
        declared = self.queue is not None
        super().setup()
        if declared:
            return
        config = self.container.config
        self.queue.queue_arguments = rpc_queue_arguments(config)
        check_existing_queue(config[AMQP_URI_CONFIG_KEY], config, self.queue.name,
                             arguments=self.queue.queue_arguments)

    def start(self):
        self.reply_pool = reply_producers(self.container.config)
        super().start()

    def handle_result(self, message, result, exc_info):
        result, exc_info = Reply(self.container.config, message, self.reply_pool).send(
            result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class UnconfirmedRpc(Rpc):
    rpc_consumer = UnconfirmedRpcConsumer()

    def setup(self):
        super().setup()
        self._signature = inspect.signature(  # as getcallargs reads it: the outer function
            getattr(self.container.service_cls, self.method_name), follow_wrapped=False)

    def check_signature(self, args, kwargs):
        """Nameko's check, against the signature read once: ``inspect.getcallargs`` read
        it again for every call (~2 % of a command's CPU)."""
        try:
            self._signature.bind(None, *args, **kwargs)  # None: the unbound ``self``
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None


class ClusterReplyListener(ReplyListener):
    """Nameko's reply queue, transient on a cluster (``QUEUES.type: quorum``): a reply
    queue serves one live process, and a durable classic queue whose node stopped could
    not be declared again on the node the process reconnects to (NOT_FOUND, for as long
    as that node is down); a transient one is deleted with its node and declared anew."""

    queue_consumer = ResilientQueueConsumer()

    def setup(self):
        super().setup()
        self.queue.durable = reply_queue_durable(self.container.config)


rpc = UnconfirmedRpc.decorator
api = rpc(expected_exceptions=EXPECTED_ERRORS)


class RpcClient(DependencyProvider):
    """``self.rpc.<service>.<method>(...)`` with a timeout; ``.call_async`` for fan-out.

    Each call's duration and outcome go into ``alpes_rpc_client_duration_seconds``; with
    tracing on, each call is a CLIENT span whose context the request carries."""

    rpc_reply_listener = ClusterReplyListener()

    def __init__(self, timeout: float | None = None):
        self.timeout = timeout

    def setup(self):
        configured = self.container.config.get("RPC_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
        self.effective_timeout = float(self.timeout or configured)
        self.tracer = None

    def start(self):
        # every setup() has run: the container's Observability has its tracer (or None)
        self.tracer = next((getattr(dependency, "tracer", None)
                            for dependency in self.container.dependencies
                            if type(dependency).__name__ == "Observability"), None)

    def get_dependency(self, worker_ctx):
        context.ensure_correlation_id(worker_ctx)
        return ClusterClient(worker_ctx, self.rpc_reply_listener, self.effective_timeout,
                             self.tracer)


class ClusterClient:
    def __init__(self, worker_ctx, reply_listener, timeout: float, tracer=None):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self.timeout = timeout
        self._tracer = tracer

    def __getattr__(self, service_name: str) -> "TimedServiceProxy":
        if service_name.startswith("_"):
            raise AttributeError(service_name)
        proxy = ServiceProxy(self._worker_ctx, service_name, self._reply_listener,
                             expiration=self.timeout)
        return TimedServiceProxy(proxy, service_name, self.timeout, self._worker_ctx,
                                 self._tracer)


class TimedServiceProxy:
    def __init__(self, proxy: ServiceProxy, service_name: str, timeout: float,
                 worker_ctx=None, tracer=None):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout
        self._worker_ctx = worker_ctx
        self._tracer = tracer

    def __getattr__(self, method_name: str) -> "TimedMethod":
        if method_name.startswith("_"):
            raise AttributeError(method_name)
        return TimedMethod(getattr(self._proxy, method_name),
                           f"{self._service_name}.{method_name}", self._timeout,
                           self._worker_ctx, self._tracer)


class TimedMethod:
    def __init__(self, method_proxy, name: str, timeout: float, worker_ctx=None,
                 tracer=None):
        self._method = method_proxy
        self.name = name
        self.timeout = timeout
        self._worker_ctx = worker_ctx
        self._tracer = tracer

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs) -> "TimedReply":
        caller = self._worker_ctx.service_name if self._worker_ctx is not None else "-"
        span = previous = None
        if self._tracer is not None:  # a CLIENT span: the request carries its context
            span = self._tracer.start_span(
                self.name, kind=tracing.CLIENT,
                attributes={"rpc.system": "nameko", "rpc.service": self.name.split(".")[0],
                            "rpc.method": self.name.split(".", 1)[-1]})
            previous = self._worker_ctx.data.get(tracing.TRACEPARENT)
            self._worker_ctx.data[tracing.TRACEPARENT] = tracing.format_context(
                span.get_span_context())
        try:
            reply = self._method.call_async(*args, **kwargs)
        except UnknownService:
            _observe(caller, self.name, metrics.UNAVAILABLE, 0.0, span)
            raise unavailable(self.name, "is not running") from None
        finally:
            if span is not None:  # the worker's own context again
                if previous is None:
                    self._worker_ctx.data.pop(tracing.TRACEPARENT, None)
                else:
                    self._worker_ctx.data[tracing.TRACEPARENT] = previous
        return TimedReply(reply, self.name, self.timeout, caller, span)


class TimedReply:
    def __init__(self, reply, name: str, timeout: float, caller: str = "-", span=None):
        self._reply = reply
        self._name = name
        self._started = time.monotonic()
        self._deadline = self._started + timeout
        self._timeout = timeout
        self._caller = caller
        self._span = span

    def result(self):
        remaining = max(self._deadline - time.monotonic(), 0.001)
        timer = eventlet.Timeout(remaining)
        outcome = metrics.ERROR
        try:
            answer = self._reply.result()
            outcome = metrics.OK
            return answer
        except eventlet.Timeout as fired:
            if fired is not timer:
                raise
            outcome = metrics.UNAVAILABLE
            raise unavailable(self._name, f"did not answer within {self._timeout:g}s") from None
        except ServiceUnavailable:
            outcome = metrics.UNAVAILABLE
            raise
        except EXPECTED_ERRORS:
            outcome = metrics.REFUSED
            raise
        finally:
            timer.cancel()
            if self._caller is not None:
                _observe(self._caller, self._name, outcome,
                         time.monotonic() - self._started, self._span)
                self._caller = None  # once, however often result() is asked


def _observe(caller: str, target: str, outcome: str, seconds: float, span) -> None:
    metrics.RPC_CLIENT.labels(caller, target, outcome).observe(seconds)
    if span is not None:
        span.set_attribute("alpes.outcome", outcome)
        if outcome in (metrics.ERROR, metrics.UNAVAILABLE):
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, outcome))
        span.end()


def unavailable(name: str, why: str) -> ServiceUnavailable:
    service = name.split(".", 1)[0]
    return ServiceUnavailable(f"{name} {why}.", {"service": [service]})
