"""The ``webhooks`` Nameko service: brands' (and partners') endpoints, and the signed
deliveries of the platform's events to them.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
Every consumed event fans out into deliveries in the transaction that accepts it
(replicas, one delivery per subscribed endpoint; idempotent by itself, so no inbox),
unless the process's snapshot of subscriptions says nobody could receive it -- and an
event type no endpoint subscribes to is not even received (``consumes``: its queue is
bound once an endpoint subscribes, infrastructure/bindings.py); the delivery driver
(``@dispatches``) leases due deliveries and makes one attempt per worker; a timer purges
old ones.
"""
from __future__ import annotations

import logging
from functools import partial

from nameko.extensions import DependencyProvider

from common.contracts import campaigns, commissions, partners, payouts, tracking
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import settings_from
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.nameko.rpc import api
from common.nameko.timers import timer
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import ValidationError
from common.validation import load
from services.webhooks import schemas
from services.webhooks.application import commands, inbound, queries
from services.webhooks.application.handlers import HANDLERS
from services.webhooks.application.integration_events import TRANSLATOR
from services.webhooks.application.settings import DEFAULTS, SECTION, WebhooksSettings
from services.webhooks.application.subscriptions import SubscriptionCache
from services.webhooks.dispatcher import DispatcherWaker, dispatches
from services.webhooks.infrastructure import sealing
from services.webhooks.infrastructure.bindings import QueueBindings
from services.webhooks.infrastructure.destinations import DestinationGuard, system_resolve
from services.webhooks.infrastructure.http import HttpSender
from services.webhooks.infrastructure.leases import Lease
from services.webhooks.infrastructure.repositories import SqlReplicaWriter, load_subscriptions
from services.webhooks.infrastructure.tables import Base
from services.webhooks.infrastructure.unit_of_work import SqlWebhooksUnitOfWork


def _sender(settings: WebhooksSettings, resolve) -> HttpSender:
    return HttpSender(DestinationGuard(settings.destinations, resolve),
                      connect_timeout=settings.connect_timeout, timeout=settings.timeout,
                      excerpt_bytes=settings.excerpt_bytes,
                      per_endpoint=settings.max_in_flight_per_endpoint)


def _object(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(f"{name} must be an object.", {name: ["Must be an object."]})
    return value


def message_bus(clock=utcnow, resolve=system_resolve) -> MessageBusProvider:
    """The bus, with the clock the use cases read and the resolver the destination
    checks use (tests pass their own: a DNS answer that changes)."""
    return MessageBusProvider(
        handlers=HANDLERS, unit_of_work=SqlWebhooksUnitOfWork, translator=TRANSLATOR,
        settings=settings_from(SECTION, WebhooksSettings), clock=clock,
        shared={"destinations": lambda wiring: DestinationGuard(
                    wiring.settings.destinations, resolve),
                "sender": lambda wiring: _sender(wiring.settings, resolve),
                "subscriptions": lambda wiring: SubscriptionCache(
                    partial(load_subscriptions, wiring.database),
                    wiring.settings.subscriptions_max_age),
                "replica_writer": lambda wiring: SqlReplicaWriter(wiring.database),
                "bindings": lambda wiring: QueueBindings.of(wiring.config, WebhooksService)})


log = logging.getLogger(__name__)


class SecretSealing(DependencyProvider):
    """Installs the key ring that seals endpoint secrets at rest (``WEBHOOKS.secret_keys``,
    infrastructure/sealing.py) when the service is set up: a malformed ring stops the
    service at start; an empty one stores secrets in clear, and says so."""

    def setup(self):
        section = self.container.config.get(SECTION) or {}
        ring = sealing.install(sealing.KeyRing.parse(section.get("secret_keys")))
        if ring.empty:
            log.warning("WEBHOOKS.secret_keys is empty: endpoint secrets are stored in "
                        "clear (set WEBHOOKS_SECRET_KEYS outside development)")

    def get_dependency(self, worker_ctx):
        return sealing.RING


def consumes(contract):
    """A reliable handler, idempotent without an inbox (``fan_out``); unless the event
    feeds a replica, its queue is bound only once an endpoint subscribes to its type."""
    return event_handler(contract, inbox=False,
                         bound_on_demand=contract not in inbound.FEEDS_REPLICA)


class WebhooksService(health.HealthMixin):
    name = "webhooks"

    db = ServiceDatabase(Base)
    bus = message_bus()
    deliveries_committed = DispatcherWaker()
    sealing = SecretSealing()

    # endpoints ---------------------------------------------------------------------------
    @api
    def create_endpoint(self, payload):
        """The endpoint, with its ``secret``: shown this once."""
        data = load(schemas.CreateEndpointSchema, payload)
        created = self.bus.handle(commands.CreateEndpoint(
            **{**data, "event_types": tuple(data["event_types"])}))
        return {**self._endpoint(created["endpoint_id"]), "secret": created["secret"]}

    @api
    def update_endpoint(self, endpoint_id, changes):
        data = load(schemas.UpdateEndpointSchema,
                    {**_object(changes, "changes"), "endpoint_id": endpoint_id})
        if "event_types" in data:
            data["event_types"] = tuple(data["event_types"])
        self.bus.handle(commands.UpdateEndpoint(**data))
        return self._endpoint(data["endpoint_id"])

    @api
    def disable_endpoint(self, endpoint_id):
        data = load(schemas.EndpointIdSchema, {"endpoint_id": endpoint_id})
        self.bus.handle(commands.DisableEndpoint(**data))
        return self._endpoint(data["endpoint_id"])

    @api
    def enable_endpoint(self, endpoint_id):
        data = load(schemas.EndpointIdSchema, {"endpoint_id": endpoint_id})
        self.bus.handle(commands.EnableEndpoint(**data))
        self.deliveries_committed()
        return self._endpoint(data["endpoint_id"])

    @api
    def rotate_secret(self, endpoint_id, grace_seconds=None):
        """A new ``secret`` (shown this once); the previous one stays valid for
        ``grace_seconds`` (default: ``WEBHOOKS.rotation_grace_seconds``)."""
        data = load(schemas.RotateSecretSchema,
                    {"endpoint_id": endpoint_id, "grace_seconds": grace_seconds})
        secret = self.bus.handle(commands.RotateSecret(**data))
        return {**self._endpoint(data["endpoint_id"]), "secret": secret}

    @api
    def delete_endpoint(self, endpoint_id):
        data = load(schemas.EndpointIdSchema, {"endpoint_id": endpoint_id})
        self.bus.handle(commands.DeleteEndpoint(**data))
        return {"endpoint_id": data["endpoint_id"], "deleted": True}

    @api
    def get_endpoint(self, endpoint_id):
        data = load(schemas.EndpointIdSchema, {"endpoint_id": endpoint_id})
        return self._endpoint(data["endpoint_id"])

    @api
    def list_endpoints(self, filters=None):
        data = load(schemas.ListEndpointsSchema, filters or {})
        return self.bus.query(queries.ListEndpoints(**data))

    # deliveries --------------------------------------------------------------------------
    @api
    def send_test_event(self, endpoint_id):
        data = load(schemas.EndpointIdSchema, {"endpoint_id": endpoint_id})
        delivery_id = self.bus.handle(commands.SendTestEvent(**data))
        self.deliveries_committed()
        return self._delivery(delivery_id)

    @api
    def replay_delivery(self, delivery_id):
        data = load(schemas.DeliveryIdSchema, {"delivery_id": delivery_id})
        self.bus.handle(commands.ReplayDelivery(**data))
        self.deliveries_committed()
        return self._delivery(data["delivery_id"])

    @api
    def replay_since(self, endpoint_id, payload):
        data = load(schemas.ReplaySinceSchema,
                    {**_object(payload, "payload"), "endpoint_id": endpoint_id})
        replayed = self.bus.handle(commands.ReplaySince(**data))
        self.deliveries_committed()
        return {"endpoint_id": data["endpoint_id"], "replayed": replayed}

    @api
    def get_delivery(self, delivery_id):
        data = load(schemas.DeliveryIdSchema, {"delivery_id": delivery_id})
        return self._delivery(data["delivery_id"])

    @api
    def list_deliveries(self, filters):
        data = load(schemas.ListDeliveriesSchema, filters)
        return self.bus.query(queries.ListDeliveries(**data))

    @api
    def summary(self, filters=None):
        data = load(schemas.SummarySchema, filters or {})
        return self.bus.query(queries.Summary(**data))

    @api
    def event_types(self, owner_type=None):
        data = load(schemas.EventTypesSchema, {"owner_type": owner_type})
        return self.bus.query(queries.EventTypes(**data))

    # the delivery driver -----------------------------------------------------------------
    @dispatches
    def deliver(self, lease: Lease, owner: str):
        return self.bus.handle(commands.Deliver(delivery_id=lease.delivery_id,
                                                lease_owner=owner))

    @timer(SECTION, "housekeeping_interval_seconds", DEFAULTS["housekeeping_interval_seconds"])
    def purge_old_deliveries(self):
        return self.bus.handle(commands.PurgeDeliveries())

    @timer(SECTION, "housekeeping_interval_seconds", DEFAULTS["housekeeping_interval_seconds"],
           eager=True)
    def seal_secrets(self):
        """At start-up, then every so often: secrets stored in clear or under a key no
        longer first in the ring are sealed under the first."""
        return self.bus.handle(commands.ResealSecrets())

    @timer(SECTION, "bindings_interval_seconds", DEFAULTS["bindings_interval_seconds"],
           eager=True)
    def bind_subscribed_types(self):
        """At start-up, then every so often: the subscribed types are received."""
        return self.bus.handle(commands.BindSubscribedTypes())

    # events in: one delivery per subscribed endpoint of the event's owners ---------------
    # inbox=False: fan_out is idempotent by itself (replica rows and deliveries keyed by
    # the event are inserted unless there already), so no inbox row per event
    def _accept(self, contract, event) -> None:
        made = [self.bus.handle(command) for command in inbound.fan_outs(contract, event)]
        if any(made):
            self.deliveries_committed()

    @consumes(campaigns.PARTNER_ENROLLED)
    def on_partner_enrolled(self, event):
        self._accept(campaigns.PARTNER_ENROLLED, event)

    @consumes(campaigns.ENROLLMENT_REQUESTED)
    def on_enrollment_requested(self, event):
        self._accept(campaigns.ENROLLMENT_REQUESTED, event)

    @consumes(campaigns.ENROLLMENT_DECLINED)
    def on_enrollment_declined(self, event):
        self._accept(campaigns.ENROLLMENT_DECLINED, event)

    @consumes(campaigns.ENROLLMENT_WITHDRAWN)
    def on_enrollment_withdrawn(self, event):
        self._accept(campaigns.ENROLLMENT_WITHDRAWN, event)

    @consumes(campaigns.ENROLLMENT_SUSPENDED)
    def on_enrollment_suspended(self, event):
        self._accept(campaigns.ENROLLMENT_SUSPENDED, event)

    @consumes(campaigns.ENROLLMENT_REACTIVATED)
    def on_enrollment_reactivated(self, event):
        self._accept(campaigns.ENROLLMENT_REACTIVATED, event)

    @consumes(campaigns.ENROLLMENT_COMMISSION_CHANGED)
    def on_enrollment_commission_changed(self, event):
        self._accept(campaigns.ENROLLMENT_COMMISSION_CHANGED, event)

    @consumes(campaigns.ENROLLMENT_CODE_CHANGED)
    def on_enrollment_code_changed(self, event):
        self._accept(campaigns.ENROLLMENT_CODE_CHANGED, event)

    @consumes(campaigns.CAMPAIGN_ACTIVATED)
    def on_campaign_activated(self, event):
        self._accept(campaigns.CAMPAIGN_ACTIVATED, event)

    @consumes(campaigns.CAMPAIGN_PAUSED)
    def on_campaign_paused(self, event):
        self._accept(campaigns.CAMPAIGN_PAUSED, event)

    @consumes(campaigns.CAMPAIGN_ENDED)
    def on_campaign_ended(self, event):
        self._accept(campaigns.CAMPAIGN_ENDED, event)

    @consumes(campaigns.CAMPAIGN_CANCELLED)
    def on_campaign_cancelled(self, event):
        self._accept(campaigns.CAMPAIGN_CANCELLED, event)

    @consumes(campaigns.BUDGET_EXHAUSTED)
    def on_budget_exhausted(self, event):
        self._accept(campaigns.BUDGET_EXHAUSTED, event)

    @consumes(partners.PARTNER_SUSPENDED)
    def on_partner_suspended(self, event):
        self._accept(partners.PARTNER_SUSPENDED, event)

    @consumes(tracking.CONVERSION_ATTRIBUTED)
    def on_conversion_attributed(self, event):
        self._accept(tracking.CONVERSION_ATTRIBUTED, event)

    @consumes(tracking.CONVERSION_REJECTED)
    def on_conversion_rejected(self, event):
        self._accept(tracking.CONVERSION_REJECTED, event)

    @consumes(tracking.CONVERSION_REVERSED)
    def on_conversion_reversed(self, event):
        self._accept(tracking.CONVERSION_REVERSED, event)

    @consumes(commissions.COMMISSION_CREATED)
    def on_commission_created(self, event):
        self._accept(commissions.COMMISSION_CREATED, event)

    @consumes(commissions.COMMISSION_APPROVED)
    def on_commission_approved(self, event):
        self._accept(commissions.COMMISSION_APPROVED, event)

    @consumes(commissions.COMMISSION_DECLINED)
    def on_commission_declined(self, event):
        self._accept(commissions.COMMISSION_DECLINED, event)

    @consumes(commissions.COMMISSION_REVERSED)
    def on_commission_reversed(self, event):
        self._accept(commissions.COMMISSION_REVERSED, event)

    @consumes(commissions.COMMISSION_PAID)
    def on_commission_paid(self, event):
        self._accept(commissions.COMMISSION_PAID, event)

    @consumes(payouts.PAYOUT_PAID)
    def on_payout_paid(self, event):
        self._accept(payouts.PAYOUT_PAID, event)

    @consumes(payouts.PAYOUT_FAILED)
    def on_payout_failed(self, event):
        self._accept(payouts.PAYOUT_FAILED, event)

    # helpers -----------------------------------------------------------------------------
    def _endpoint(self, endpoint_id):
        return self.bus.query(queries.GetEndpoint(endpoint_id=endpoint_id))

    def _delivery(self, delivery_id):
        return self.bus.query(queries.GetDelivery(delivery_id=delivery_id))
