"""Declare every handler queue before any producer publishes.

An event published to an exchange with no queue bound is dropped by RabbitMQ. Running
``declare`` before the services start (``alpes topology``: ``make run``, ``make migrate``,
the compose ``migrate`` job, the test harness) declares, for every reliable
``@event_handler`` of every service, its queue + binding, its retry queue and the
service's dead-letter queue -- so an event sent while its consumer has never run waits
for it. The handler registry (``event_handlers``, ``consumers_by_contract``) also feeds
docs/events.md and the poison-message tests.

A handler removed from the code leaves its queue on a broker that ran it: still bound,
it would collect its events for ever. ``RETIRED`` lists them; ``declare`` deletes them.

Queues are of the type ``QUEUES.type`` configures (classic, or quorum on a cluster:
common/nameko/queues.py). A queue the broker already has with another type or other
arguments stops ``declare`` with ``QueueMismatch``, which says what to do; so does a
service's existing ``rpc-<service>`` queue (checked, not created: Nameko creates it when
the service starts).
"""
from __future__ import annotations

import inspect
from collections.abc import Iterable

from amqp.exceptions import ChannelError
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY

from common.nameko.discovery import service_classes
from common.nameko.events import (
    ReliableEventHandler,
    declare_handler_topology,
    handler_queue_name,
    retry_queue_name,
)
from common.nameko.queues import check_existing_queue, rpc_queue_arguments


def event_handlers(service_cls: type) -> list[tuple[str, str, str]]:
    """(source, event_type, method) of every reliable event handler of a service class."""
    return sorted((handler.source_service, handler.event_type, method)
                  for method, handler in _reliable_handlers(service_cls))


def bound_on_demand(service_cls: type) -> list[tuple[str, str, str]]:
    """(source, event_type, method) of the handlers the service binds itself
    (``bound_on_demand``): declared unbound here."""
    return sorted((handler.source_service, handler.event_type, method)
                  for method, handler in _reliable_handlers(service_cls)
                  if handler.bound_on_demand)


def _reliable_handlers(service_cls: type):
    """(method name, its ReliableEventHandler) of a service class."""
    for method_name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                yield method_name, entrypoint


def consumers_by_contract(classes: Iterable[type] | None = None) -> dict[str, list]:
    """``"<source>.<type>"`` -> [("<service>.<method>", versions understood)]."""
    found: dict[str, list] = {}
    for cls in classes if classes is not None else service_classes():
        for method_name, handler in _reliable_handlers(cls):
            key = f"{handler.contract.source}.{handler.contract.name}"
            found.setdefault(key, []).append((f"{cls.name}.{method_name}", handler.versions))
    return found


# (source, event type, service, method) of handlers that no longer exist
RETIRED = (
    # replicas follow partners from activation on (a PENDING partner needs nothing here)
    ("partners", "partner_registered", "tracking", "on_partner_registered"),
    ("partners", "partner_registered", "payouts", "on_partner_registered"),
    ("partners", "partner_verified", "payouts", "on_partner_verified"),
    ("partners", "partner_verified", "campaigns", "on_partner_verified"),
    ("partners", "partner_registered", "campaigns", "on_partner_registered"),
    ("partners", "partner_registered", "bff", "keep_partner_registered"),
    ("partners", "partner_verified", "bff", "keep_partner_verified"),
)


def retire(amqp_uri: str, retired: Iterable[tuple[str, str, str, str]] = RETIRED) -> list[str]:
    """Delete the queues (and retry queues) of retired handlers. Returns those deleted."""
    deleted = []
    with Connection(amqp_uri) as conn:
        for source, event_type, service, method in retired:
            name = handler_queue_name(source, event_type, service, method)
            for queue in (name, retry_queue_name(name)):
                channel = conn.channel()
                try:
                    channel.queue_declare(queue=queue, passive=True)
                except ChannelError:  # never declared here: nothing to retire
                    continue
                finally:
                    _close(channel)
                conn.channel().queue_delete(queue=queue)
                deleted.append(queue)
    return deleted


def _close(channel) -> None:
    try:
        channel.close()
    except Exception:
        pass


def declare(config: dict, service_classes: Iterable[type]) -> list[str]:
    retire(config[AMQP_URI_CONFIG_KEY])
    queues = []
    for cls in service_classes:
        check_existing_queue(config[AMQP_URI_CONFIG_KEY], config, f"rpc-{cls.name}",
                             arguments=rpc_queue_arguments(config))
        on_demand = {method for _, _, method in bound_on_demand(cls)}
        for source, event_type, method in event_handlers(cls):
            declare_handler_topology(config[AMQP_URI_CONFIG_KEY], config, source=source,
                                     event_type=event_type, service=cls.name, method=method,
                                     bound=method not in on_demand)
            queues.append(handler_queue_name(source, event_type, cls.name, method))
    return queues
