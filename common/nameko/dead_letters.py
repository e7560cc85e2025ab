"""List and replay dead-lettered events.

A handler message that failed ``max_attempts`` times (or was malformed) waits in its
service's ``dlq.<service>`` queue with the error. Operators list them and, once the
cause is fixed, replay them: a replayed message goes back to the one handler queue it
failed in (not to every subscriber), with its attempt counter reset. Handlers are
idempotent (inbox), so a replay applies the event at most once.

    python -m common.nameko.dead_letters list   [--service partners] [--config config.yaml]
    python -m common.nameko.dead_letters replay (--id DEAD_LETTER_ID | --all) [--service S]

Listing reads the messages without consuming them (they are requeued untouched).
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import Any

from kombu import Connection, Exchange
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY

from common.nameko.config import load_config
from common.nameko.discovery import service_names
from common.nameko.events import (
    H_ATTEMPT,
    H_DEAD_LETTER_ID,
    H_ERROR,
    H_ERROR_TYPE,
    H_FAILED_AT,
    H_HANDLER,
    H_QUEUE,
    H_TRACEBACK,
    INTERNAL_HEADER_PREFIXES,
    dead_letter_queue_name,
)

MAX_BATCH = 10_000


def _describe(service: str, message) -> dict[str, Any]:
    headers = message.headers or {}
    body = message.payload if isinstance(message.payload, dict) else {}
    return {
        "id": headers.get(H_DEAD_LETTER_ID),
        "service": service,
        "handler": headers.get(H_HANDLER),
        "queue": headers.get(H_QUEUE),
        "event_id": body.get("event_id"),
        "event_type": body.get("type") or message.properties.get("type"),
        "source": body.get("source"),
        "attempts": headers.get(H_ATTEMPT),
        "error_type": headers.get(H_ERROR_TYPE),
        "error": headers.get(H_ERROR),
        "traceback": headers.get(H_TRACEBACK),
        "failed_at": headers.get(H_FAILED_AT),
        "message": body,
    }


def _browse(amqp_uri: str, service: str, visit) -> None:
    """Get every message of the service's DLQ without ack; ``visit`` may ack some.

    Unacked messages return to the queue when the channel closes.
    """
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = dead_letter_queue_name(service)
        channel.queue_declare(queue=queue, durable=True, auto_delete=False, exclusive=False)
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
           services: Iterable[str] | None = None) -> list[dict]:
    """Send matching dead letters back to their handler queue. Returns those replayed."""
    if not dead_letter_id and not replay_all:
        raise ValueError("name a dead letter id or ask for all")
    publisher = Publisher(amqp_uri, use_confirms=True, serializer="json")
    replayed: list[dict] = []

    def visit(message, service):
        info = _describe(service, message)
        if not replay_all and info["id"] != dead_letter_id:
            return
        headers = {key: value for key, value in (message.headers or {}).items()
                   if not key.startswith(INTERNAL_HEADER_PREFIXES)}
        headers[H_ATTEMPT] = 1
        publisher.publish(message.payload, exchange=Exchange(""), routing_key=info["queue"],
                          headers=headers, message_id=message.properties.get("message_id"),
                          type=message.properties.get("type"))
        message.ack()
        replayed.append(info)

    for service in services or service_names():
        _browse(amqp_uri, service, lambda message, s=service: visit(message, s))
    return replayed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="List or replay dead-lettered events.")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--service", action="append", help="limit to a service (repeatable)")
    parser.add_argument("--id", help="dead letter id to replay")
    parser.add_argument("--all", action="store_true", help="replay every dead letter")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    amqp_uri = load_config(args.config)[AMQP_URI_CONFIG_KEY]
    if args.command == "list":
        items = list_dead_letters(amqp_uri, args.service)
    else:
        if not args.id and not args.all:
            parser.error("replay needs --id ID or --all")
        items = replay(amqp_uri, dead_letter_id=args.id, replay_all=args.all,
                       services=args.service)
    if args.json:
        print(json.dumps(items, indent=2, default=str))
        return
    verb = "dead letter(s)" if args.command == "list" else "replayed"
    print(f"{len(items)} {verb}")
    for item in items:
        print(f"- {item['id']}  {item['service']}  {item['handler']}  "
              f"{item['source']}.{item['event_type']}  event {item['event_id']}  "
              f"attempts {item['attempts']}  at {item['failed_at']}\n    {item['error']}")


if __name__ == "__main__":
    main()
