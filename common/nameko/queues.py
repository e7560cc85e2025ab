"""Which kind of RabbitMQ queue each of the platform's queues is: ``QUEUES`` in config.yaml.

``QUEUES.type: classic`` (the default) declares every queue as the platform always has:
right for one broker. ``QUEUES.type: quorum`` is for a RabbitMQ cluster (3.10 or later:
per-message TTL and at-least-once dead-lettering on quorum queues): the queues that hold
the platform's work are replicated on a majority of the nodes and keep working when one
node stops (docs/cluster.md):

=========================================  ==========================================
queue                                      with ``QUEUES.type: quorum``
=========================================  ==========================================
``evt-<source>-<type>--<service>.<m>``     quorum; ``x-delivery-limit``: a message
(a reliable handler's queue)               redelivered more often (a crash loop) goes
                                           to ``dlq.<service>`` (reason
                                           ``delivery_limit``) instead of looping
``<handler queue>.retry``                  quorum; per-message TTL, dead-lettered back
                                           to the handler queue at least once
``dlq.<service>``                          quorum, no delivery limit (listing the dead
                                           letters requeues them)
``rpc-<service>`` (Nameko's RPC queue)     quorum, same delivery limit, no dead letters:
                                           a request redelivered that often is dropped
                                           (its caller gave up long before)
``rpc.reply-<service>-<uuid>``             classic and *transient* (not durable): a
(a process's reply queue)                  reply queue belongs to one live process; when
                                           its node stops, RabbitMQ deletes it and the
                                           process declares it again on the node it
                                           reconnects to (a durable classic queue on a
                                           stopped node cannot be declared anywhere)
BFF broadcast queues, probes               classic, exclusive (unchanged)
=========================================  ==========================================

A queue's type and arguments are fixed when it is created: declaring it again with other
ones is refused by RabbitMQ (``PRECONDITION_FAILED``). :class:`QueueMismatch` names the
queue and the way out (docs/cluster.md, "Changing the queue type").

Several brokers: ``AMQP_URI`` may list them separated by ``;`` (kombu's failover);
:func:`redact` hides every password of such a list in logs.
"""
from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlparse

CLASSIC = "classic"
QUORUM = "quorum"
TYPES = (CLASSIC, QUORUM)
DEFAULTS = {"type": CLASSIC, "delivery_limit": 20}


@dataclasses.dataclass(frozen=True)
class QueueSettings:
    type: str = CLASSIC
    delivery_limit: int = 20

    @property
    def quorum(self) -> bool:
        return self.type == QUORUM


def settings(config: dict[str, Any]) -> QueueSettings:
    values = {**DEFAULTS, **(config.get("QUEUES") or {})}
    kind = str(values["type"] or CLASSIC).strip().lower()
    if kind not in TYPES:
        raise ValueError(f"QUEUES.type must be one of {', '.join(TYPES)}, not {kind!r}")
    limit = int(values["delivery_limit"])
    if limit < 1:
        raise ValueError(f"QUEUES.delivery_limit must be at least 1, not {limit}")
    return QueueSettings(kind, limit)


def _quorum(extra: dict | None = None) -> dict:
    return {"x-queue-type": QUORUM, **(extra or {})}


def _dead_letter_to(queue: str) -> dict:
    # at-least-once: the broker keeps the message until the target queue confirmed it
    # (at-most-once, the default, can lose it during a leader change); it needs
    # reject-publish overflow, which does nothing without a length limit.
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue,
            "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def handler_queue_arguments(config: dict, dead_letter_queue: str) -> dict:
    """A reliable handler's queue (classic: none, as Nameko declares it)."""
    queues = settings(config)
    if not queues.quorum:
        return {}
    return _quorum({"x-delivery-limit": queues.delivery_limit,
                    **_dead_letter_to(dead_letter_queue)})


def retry_queue_arguments(config: dict, handler_queue: str) -> dict:
    if not settings(config).quorum:
        return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": handler_queue}
    return _quorum(_dead_letter_to(handler_queue))


def dead_letter_queue_arguments(config: dict) -> dict:
    return _quorum() if settings(config).quorum else {}


def rpc_queue_arguments(config: dict) -> dict:
    queues = settings(config)
    return _quorum({"x-delivery-limit": queues.delivery_limit}) if queues.quorum else {}


def reply_queue_durable(config: dict) -> bool:
    """Classic: durable, as Nameko declares it. Quorum (a cluster): transient."""
    return not settings(config).quorum


class QueueMismatch(RuntimeError):
    """A queue exists with another type or other arguments than this configuration
    declares (RabbitMQ's PRECONDITION_FAILED), said in words."""

    def __init__(self, queue: str, config: dict, broker_says: str):
        wanted = settings(config).type
        super().__init__(
            f"queue {queue!r} already exists on the broker with another type or other "
            f"arguments than QUEUES.type={wanted} declares (RabbitMQ: {broker_says}). "
            "A queue's type and arguments cannot change in place: stop the services "
            "that consume it, let it drain (alpes dead-letters list for dlq.*), delete "
            "it, then run `alpes topology` again -- or set QUEUES.type (ALPES_QUEUE_TYPE) "
            "back to what the broker has. See docs/cluster.md, 'Changing the queue type'.")
        self.queue = queue


def declare_queue(channel, config: dict, name: str, *, arguments: dict,
                  durable: bool = True) -> None:
    """``queue.declare`` with the configured arguments; a PRECONDITION_FAILED becomes
    :class:`QueueMismatch`."""
    from amqp.exceptions import PreconditionFailed

    try:
        channel.queue_declare(queue=name, durable=durable, auto_delete=False, exclusive=False,
                              arguments=arguments)
    except PreconditionFailed as error:
        raise QueueMismatch(name, config, getattr(error, "reply_text", str(error))) from None


def declare_kombu_queue(channel, config: dict, queue) -> None:
    """Declare a kombu ``Queue`` (and its bindings); a mismatch becomes
    :class:`QueueMismatch`."""
    from amqp.exceptions import PreconditionFailed

    try:
        queue(channel).declare()
    except PreconditionFailed as error:
        raise QueueMismatch(queue.name, config,
                            getattr(error, "reply_text", str(error))) from None


def check_existing_queue(amqp_uri: str, config: dict, name: str, *, arguments: dict,
                         durable: bool = True) -> bool:
    """When ``name`` exists, check it has the configured type and arguments
    (:class:`QueueMismatch` if not); when it does not, leave it undeclared (Nameko
    declares it when the service starts: a service never started keeps answering
    "not running"). Returns whether it existed."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    with Connection(amqp_uri) as connection:
        try:
            connection.channel().queue_declare(queue=name, passive=True)
        except NotFound:
            return False
        declare_queue(connection.channel(), config, name, arguments=arguments,
                      durable=durable)
    return True


def broker_urls(amqp_uri: str) -> list[str]:
    """The brokers of a ``;``-separated failover list (one for a plain URI)."""
    return [part.strip() for part in amqp_uri.split(";") if part.strip()]


def redact(uri: str) -> str:
    """Every password of a URI, or of a ``;``-separated list of them, hidden."""
    return ";".join(_redact_one(part) for part in uri.split(";"))


def _redact_one(url: str) -> str:
    try:
        parts = urlparse(url)
        password = parts.password
    except ValueError:
        return url.rsplit("@", 1)[-1]
    if password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{parts.username}:********@{host}").geturl()


def install_redaction() -> None:
    """Nameko redacts only the first password of a failover list in its log lines
    (``sanitize_url``, used by its queue consumer's "Error connecting to broker"):
    redact them all."""
    import nameko.messaging
    import nameko.utils

    nameko.utils.sanitize_url = redact
    nameko.messaging.sanitize_url = redact
