"""List and replay dead-lettered events.

A handler message that failed ``max_attempts`` times, or was poison (undecodable, a
malformed envelope, an unknown type or version, a payload breaking its contract), waits
in its service's ``dlq.<service>`` queue with its reason and error, its raw body and
content type. Operators list them and, once the cause is fixed, replay them: a replayed
message goes back to the one handler queue it failed in (not to every subscriber), with
its attempt counter reset. Handlers are idempotent (inbox), so a replay applies the event
at most once. A message that would fail the same poison check again is not replayed: the
replay says why and leaves it in the dead letters (no loop).

On a cluster with quorum queues (``QUEUES.type: quorum``) RabbitMQ itself dead-letters a
handler's message redelivered more than ``QUEUES.delivery_limit`` times (a crash loop):
such a letter has no ``x-alpes-*`` headers; its queue, reason (``delivery_limit``) and
time are read from the broker's ``x-death`` header, and it is listed and replayed alike.

Operators use ``alpes dead-letters list|replay`` (tools/cli.py) or the BFF's admin API;
both call ``list_dead_letters`` and ``replay`` here, and ``describe_line`` words one
letter for a terminal. Listing reads the messages without consuming them (they are
requeued untouched).
"""
from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from amqp.exceptions import NotFound
from kombu import Connection, Exchange
from kombu.exceptions import ContentDisallowed
from kombu.serialization import loads
from nameko.amqp.publish import Publisher

from common.contracts import find
from common.nameko.discovery import service_names
from common.nameko.events import (
    H_ATTEMPT,
    H_CONTENT_TYPE,
    H_CONTRACT,
    H_DEAD_LETTER_ID,
    H_ERROR,
    H_ERROR_TYPE,
    H_FAILED_AT,
    H_HANDLER,
    H_QUEUE,
    H_REASON,
    H_TRACEBACK,
    H_VERSIONS,
    INTERNAL_HEADER_PREFIXES,
    RAW_CONTENT_TYPE,
    dead_letter_queue_name,
)
from common.seedwork.application.integration import (
    ContentNotAccepted,
    PoisonMessage,
    UndecodableMessage,
    receive,
)

MAX_BATCH = 10_000


DELIVERY_LIMIT = "delivery_limit"  # RabbitMQ's own reason (quorum queues' x-delivery-limit)
_BROKER_LETTERS = uuid.UUID("5f0d2c1e-7b1a-4c55-9a52-2b7f5d1d8c11")


def _broker_dead_lettered(message) -> dict[str, Any]:
    """What our headers would say, for a letter RabbitMQ dead-lettered by itself (no
    ``x-alpes-*`` headers): from its latest ``x-death`` entry (most recent first)."""
    headers = message.headers or {}
    deaths = headers.get("x-death") or [{}]
    latest = deaths[0] if isinstance(deaths[0], dict) else {}
    queue = latest.get("queue")
    reason = latest.get("reason")
    when = latest.get("time")
    when = when.isoformat() if hasattr(when, "isoformat") else when
    key = f"{queue}|{message.properties.get('message_id')}|{when}|{latest.get('count')}"
    return {
        "id": str(uuid.uuid5(_BROKER_LETTERS, key)),
        "handler": queue.split("--", 1)[1] if queue and "--" in queue else None,
        "queue": queue, "reason": reason, "failed_at": when, "error_type": reason,
        "error": ("delivered more often than QUEUES.delivery_limit allows without being "
                  "settled (the consumer crashed or lost its connection each time)"
                  if reason == DELIVERY_LIMIT else f"dead-lettered by RabbitMQ: {reason}"),
    }


def _describe(service: str, message) -> dict[str, Any]:
    headers = message.headers or {}
    body = decode(message)
    envelope = body if isinstance(body, dict) else {}
    broker = {} if H_REASON in headers else _broker_dead_lettered(message)
    return {
        "id": headers.get(H_DEAD_LETTER_ID) or broker.get("id"),
        "service": service,
        "handler": headers.get(H_HANDLER) or broker.get("handler"),
        "queue": headers.get(H_QUEUE) or broker.get("queue"),
        "reason": headers.get(H_REASON) or broker.get("reason"),
        "event_id": envelope.get("event_id"),
        "event_type": envelope.get("type") or message.properties.get("type"),
        "source": envelope.get("source"),
        "version": envelope.get("version"),
        "attempts": headers.get(H_ATTEMPT),
        "error_type": headers.get(H_ERROR_TYPE) or broker.get("error_type"),
        "error": headers.get(H_ERROR) or broker.get("error"),
        "traceback": headers.get(H_TRACEBACK),
        "failed_at": headers.get(H_FAILED_AT) or broker.get("failed_at"),
        "content_type": _content_type(message),
        "headers": {k: v for k, v in headers.items()
                    if not k.startswith(INTERNAL_HEADER_PREFIXES)},
        "message": envelope,
        "raw_body": raw_text(message),
    }


def raw_bytes(message) -> bytes:
    body = message.body
    if isinstance(body, str):
        return body.encode(message.content_encoding or "utf-8")
    return bytes(body)


def raw_text(message) -> dict[str, str]:
    """The body as received: text when it is UTF-8, else base64."""
    data = raw_bytes(message)
    try:
        return {"encoding": "utf-8", "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"encoding": "base64", "text": base64.b64encode(data).decode("ascii")}


def _content_type(message) -> str:
    kept = (message.headers or {}).get(H_CONTENT_TYPE)
    if kept is not None:
        return kept
    content_type = message.content_type or ""
    return "" if content_type == RAW_CONTENT_TYPE else content_type


def decode(message) -> Any:
    """The body as a consumer decodes it (JSON only), or None when it cannot."""
    try:
        return _decode_as_consumer(message)
    except PoisonMessage:
        return None


def _decode_as_consumer(message) -> Any:
    try:
        return loads(raw_bytes(message), _content_type(message) or "application/data",
                     message.content_encoding or "binary", accept={"application/json"})
    except ContentDisallowed as error:
        raise ContentNotAccepted(str(error)) from None
    except Exception as error:
        raise UndecodableMessage(f"{type(error).__name__}: {error}"[:500]) from None


def poison_check(message) -> None:
    """Raise the :class:`PoisonMessage` its consumer would dead-letter ``message`` for,
    if any: the same check, against the contract and versions the dead letter names."""
    headers = message.headers or {}
    body = _decode_as_consumer(message)
    contract_key, versions = headers.get(H_CONTRACT), headers.get(H_VERSIONS)
    if not contract_key:  # dead-lettered before contracts were named: decoding is all
        return
    try:
        contract = find(*contract_key.split(".", 1))
    except (KeyError, TypeError):
        return
    receive(body, contract, [int(v) for v in str(versions or "").split(",") if v] or None)


def _browse(amqp_uri: str, service: str, visit) -> None:
    """Get every message of the service's DLQ without ack; ``visit`` may ack some.

    Unacked messages return to the queue when the channel closes. The queue is not
    declared here (``alpes topology`` does, of the configured type): one that does not
    exist holds no letter.
    """
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = dead_letter_queue_name(service)
        try:
            channel.queue_declare(queue=queue, passive=True)
        except NotFound:
            return
        seen = 0
        while seen < MAX_BATCH:
            raw = channel.basic_get(queue=queue, no_ack=False)
            if raw is None:
                break
            seen += 1
            visit(channel.message_to_python(raw))
        channel.close()


def list_dead_letters(amqp_uri: str, services: Iterable[str] | None = None) -> list[dict]:
    found: list[dict] = []
    for service in services or service_names():
        _browse(amqp_uri, service, lambda message, s=service: found.append(_describe(s, message)))
    return found


def replay(amqp_uri: str, *, dead_letter_id: str | None = None, replay_all: bool = False,
           services: Iterable[str] | None = None,
           check: Callable[[Any], None] = poison_check) -> list[dict]:
    """Send matching dead letters back to their handler queue. Returns those replayed,
    and those refused (``refused`` set) because their consumer would dead-letter them
    again at once; refused messages stay in the dead letters."""
    if not dead_letter_id and not replay_all:
        raise ValueError("name a dead letter id or ask for all")
    publisher = Publisher(amqp_uri, use_confirms=True, serializer="json")
    replayed: list[dict] = []

    def visit(message, service):
        info = _describe(service, message)
        if not replay_all and info["id"] != dead_letter_id:
            return
        try:
            check(message)
        except PoisonMessage as poison:
            replayed.append({**info, "refused": f"{poison.reason}: {poison.message}"})
            return
        headers = {key: value for key, value in (message.headers or {}).items()
                   if not key.startswith(INTERNAL_HEADER_PREFIXES)}
        headers[H_ATTEMPT] = 1
        publisher.publish(raw_bytes(message), exchange=Exchange(""), routing_key=info["queue"],
                          headers=headers, content_type=message.content_type,
                          content_encoding=message.content_encoding or "binary",
                          message_id=message.properties.get("message_id"),
                          type=message.properties.get("type"))
        message.ack()
        replayed.append({**info, "refused": None})

    for service in services or service_names():
        _browse(amqp_uri, service, lambda message, s=service: visit(message, s))
    return replayed


def describe_line(item: dict) -> str:
    what = (f"{item['source']}.{item['event_type']} v{item['version']}  event {item['event_id']}"
            if item["event_id"] else f"raw {item['raw_body']['encoding']} body "
            f"({item['content_type'] or 'no content type'}): {item['raw_body']['text'][:60]!r}")
    line = (f"- {item['id']}  {item['handler']}  [{item['reason']}]  {what}\n"
            f"    attempts {item['attempts']}  at {item['failed_at']}  {item['error']}")
    if item.get("refused"):
        line += f"\n    NOT replayed: it would be dead-lettered again ({item['refused']})"
    return line

