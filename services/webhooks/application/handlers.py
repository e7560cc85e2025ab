"""Webhooks use cases: one small function each.

Endpoints are managed by their owners (through the BFF); accepted events fan out into
deliveries in the same transaction (``fan_out``); the delivery driver leases due
deliveries and runs ``deliver`` for each, one attempt per call.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.clock import isoformat
from common.seedwork.domain.entity import new_id
from common.seedwork.errors import NotFound
from services.webhooks.application import commands, queries, views
from services.webhooks.application.ports import (
    Bindings,
    Destinations,
    ReplicaWriter,
    Sender,
    WebhooksUnitOfWork,
)
from services.webhooks.application.settings import WebhooksSettings
from services.webhooks.application.subscriptions import SubscriptionCache
from services.webhooks.domain import catalogue, signing
from services.webhooks.domain.catalogue import BRAND, PARTNER
from services.webhooks.domain.delivery import Delivery, DeliveryStatus
from services.webhooks.domain.endpoint import Endpoint, Owner

HANDLERS = HandlerRegistry()
Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


# --- endpoints ------------------------------------------------------------------------------
@HANDLERS.command(commands.CreateEndpoint)
def create_endpoint(cmd: commands.CreateEndpoint, uow: WebhooksUnitOfWork,
                    destinations: Destinations, clock: Clock,
                    subscriptions: SubscriptionCache, bindings: Bindings) -> dict:
    """The endpoint and, this once, its secret. Events this instance handles from the
    answer on reach it (other instances: within ``subscriptions_max_age_seconds``); its
    types' events are received from before the commit on (``bindings``)."""
    endpoint = Endpoint.create(owner=Owner(cmd.owner_type, cmd.owner_id),
                               url=destinations.check(cmd.url).url,
                               event_types=cmd.event_types, description=cmd.description,
                               now=clock())
    with uow:
        uow.endpoints.add(endpoint)
        bindings.ensure(endpoint.event_types)
        uow.commit()
    subscriptions.changed()
    return {"endpoint_id": endpoint.id, "secret": endpoint.secret}


@HANDLERS.command(commands.UpdateEndpoint)
def update_endpoint(cmd: commands.UpdateEndpoint, uow: WebhooksUnitOfWork,
                    destinations: Destinations, clock: Clock,
                    subscriptions: SubscriptionCache, bindings: Bindings) -> None:
    url = destinations.check(cmd.url).url if cmd.url is not None else None

    def change(endpoint: Endpoint) -> None:
        endpoint.change(now=clock(), url=url, event_types=cmd.event_types,
                        description=cmd.description)
        if cmd.event_types is not None:
            bindings.ensure(endpoint.event_types)  # before the commit, as at creation

    _change(uow, cmd.endpoint_id, change)
    if cmd.event_types is not None:
        subscriptions.changed()


@HANDLERS.command(commands.BindSubscribedTypes)
def bind_subscribed_types(cmd: commands.BindSubscribedTypes, uow: WebhooksUnitOfWork,
                          bindings: Bindings) -> list[str]:
    """Timer (and start-up): every type an endpoint subscribes to is received, bound
    again (a broker that lost its bindings). Returns the types bound."""
    with uow.peek():
        subscribed = uow.endpoints.subscribed_types()
    return bindings.ensure(subscribed, again=True)


@HANDLERS.command(commands.DisableEndpoint)
def disable_endpoint(cmd: commands.DisableEndpoint, uow: WebhooksUnitOfWork,
                     clock: Clock) -> None:
    _change(uow, cmd.endpoint_id, lambda endpoint: endpoint.disable(clock()))


@HANDLERS.command(commands.EnableEndpoint)
def enable_endpoint(cmd: commands.EnableEndpoint, uow: WebhooksUnitOfWork,
                    clock: Clock) -> None:
    """Deliveries still pending resume; events that came while it was disabled were kept
    as SKIPPED deliveries (replay them with ``replay_since``)."""
    _change(uow, cmd.endpoint_id, lambda endpoint: endpoint.enable(clock()))


@HANDLERS.command(commands.RotateSecret)
def rotate_secret(cmd: commands.RotateSecret, uow: WebhooksUnitOfWork, clock: Clock,
                  settings: WebhooksSettings) -> str:
    grace = (settings.rotation_grace if cmd.grace_seconds is None
             else timedelta(seconds=cmd.grace_seconds))
    rotated: list[str] = []
    _change(uow, cmd.endpoint_id,
            lambda endpoint: rotated.append(endpoint.rotate_secret(clock(), grace)))
    return rotated[0]


@HANDLERS.command(commands.DeleteEndpoint)
def delete_endpoint(cmd: commands.DeleteEndpoint, uow: WebhooksUnitOfWork,
                    subscriptions: SubscriptionCache) -> None:
    """The endpoint, its deliveries and their log."""
    with uow:
        _endpoint(uow, cmd.endpoint_id, for_update=True)
        uow.deliveries.delete_for_endpoint(cmd.endpoint_id)
        uow.endpoints.delete(cmd.endpoint_id)
        uow.commit()
    subscriptions.changed()


def _change(uow: WebhooksUnitOfWork, endpoint_id: str,
            change: Callable[[Endpoint], Any]) -> None:
    with uow:
        endpoint = _endpoint(uow, endpoint_id, for_update=True)
        change(endpoint)
        uow.endpoints.save(endpoint)
        uow.commit()


def _endpoint(uow: WebhooksUnitOfWork, endpoint_id: str, *, for_update: bool = False
              ) -> Endpoint:
    endpoint = uow.endpoints.get(endpoint_id, for_update=for_update)
    if endpoint is None:
        raise NotFound(f"Endpoint {endpoint_id} does not exist.",
                       {"endpoint_id": ["Unknown."]})
    return endpoint


# --- test events and replays ------------------------------------------------------------------
@HANDLERS.command(commands.SendTestEvent)
def send_test_event(cmd: commands.SendTestEvent, uow: WebhooksUnitOfWork, clock: Clock,
                    settings: WebhooksSettings) -> str:
    """A ``webhook.test`` delivery, due at once. Returns its id."""
    now, test_id = clock(), new_id()
    with uow:
        endpoint = _endpoint(uow, cmd.endpoint_id)
        endpoint.must_be_enabled()
        data = {"endpoint_id": endpoint.id,
                "message": "A test event from AlpesPartners: your endpoint works."}
        uow.deliveries.add_all([Delivery.for_event(
            endpoint_id=endpoint.id, event_id=test_id, event_type=catalogue.TEST_EVENT,
            body=body(catalogue.TEST_EVENT, now, test_id, data), occurred_at=now, now=now,
            schedule=settings.schedule, test=True)])
        uow.commit()
    return test_id


@HANDLERS.command(commands.ReplayDelivery)
def replay_delivery(cmd: commands.ReplayDelivery, uow: WebhooksUnitOfWork, clock: Clock,
                    settings: WebhooksSettings) -> bool:
    """Back on a fresh schedule, same webhook-id (False: it is pending already)."""
    with uow:
        delivery = uow.deliveries.get(cmd.delivery_id, for_update=True)
        if delivery is None:
            raise NotFound(f"Delivery {cmd.delivery_id} does not exist.",
                           {"delivery_id": ["Unknown."]})
        _endpoint(uow, delivery.endpoint_id).must_be_enabled()
        replayed = delivery.replay(clock(), settings.schedule)
        if replayed:
            uow.deliveries.save(delivery)
            uow.commit()
    return replayed


@HANDLERS.command(commands.ReplaySince)
def replay_since(cmd: commands.ReplaySince, uow: WebhooksUnitOfWork, clock: Clock,
                 settings: WebhooksSettings) -> int:
    """Every finished delivery of the endpoint accepted at or after ``since`` (or only the
    failed and skipped ones), back on a fresh schedule. Returns how many."""
    wanted = [DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]
    if not cmd.failed_only:
        wanted.append(DeliveryStatus.DELIVERED)
    now = clock()
    with uow:
        _endpoint(uow, cmd.endpoint_id).must_be_enabled()
        found = uow.deliveries.since(cmd.endpoint_id, cmd.since, wanted)
        for delivery in found:
            delivery.replay(now, settings.schedule)
            uow.deliveries.save(delivery)
        uow.commit()
    return len(found)


# --- accepted events ---------------------------------------------------------------------------
def body(event_type: str, occurred_at: datetime, event_id: str, data: dict[str, Any]) -> str:
    """The exact text sent and signed on every attempt (docs/webhooks.md)."""
    return json.dumps({"type": event_type, "version": catalogue.BODY_VERSION,
                       "timestamp": isoformat(occurred_at), "event_id": event_id,
                       "data": data}, separators=(",", ":"), ensure_ascii=False)


@HANDLERS.command(commands.FanOut)
def fan_out(cmd: commands.FanOut, uow: WebhooksUnitOfWork, clock: Clock,
            settings: WebhooksSettings, subscriptions: SubscriptionCache,
            replica_writer: ReplicaWriter) -> int:
    """A delivery per subscribed endpoint of the event's owners, written with the replicas
    in one transaction. Returns how many (skipped included).

    No inbox: the transaction is idempotent by itself -- replica rows and deliveries
    (whose id is the event's and the endpoint's) are inserted unless there already -- so
    an event handled twice writes nothing new.

    Before any of it, the process's snapshot of who subscribes to what
    (``subscriptions``): an event no endpoint of its owners could receive and no
    replica needs is done with, without touching the database; one that only feeds a
    replica writes just its row (``replica_writer``: no unit of work). When the snapshot
    cannot rule the endpoints out, a look without a transaction first: nobody there and
    no replica needed, no write at all."""
    known = subscriptions.current()
    maybe = known is None or _may_reach(known, cmd)
    feeds_replica = cmd.enrollment is not None
    if not maybe:
        if feeds_replica:
            replica_writer.add(enrollment=cmd.enrollment)
        return 0
    if not feeds_replica:
        with uow.peek():
            if not _recipients(uow, cmd):
                return 0
    now = clock()
    with uow:
        if cmd.enrollment is not None:
            e = cmd.enrollment
            uow.replicas.add_enrollment(e.enrollment_id, e.partner_id, e.brand_id,
                                        e.campaign_id)
        deliveries = [
            Delivery.for_event(endpoint_id=endpoint.id, event_id=cmd.event_id,
                               event_type=cmd.event_type,
                               body=body(cmd.event_type, cmd.occurred_at, cmd.event_id, data),
                               occurred_at=cmd.occurred_at, now=now,
                               schedule=settings.schedule, skipped=not endpoint.enabled)
            for endpoint, data in _recipients(uow, cmd)]
        uow.deliveries.add_all(deliveries)
        uow.commit()
    return len(deliveries)


def _may_reach(known, cmd: commands.FanOut) -> bool:
    """Could an endpoint of the event's owners receive it, as far as the snapshot says?
    Owners found in the replicas (brands of a partner, of commissions a payout does not
    name the brands of) are not known yet: any brand's endpoint subscribed to the type is
    enough to look."""
    allowed = catalogue.BY_NAME[cmd.event_type].audiences
    named = [(BRAND, brand_id)
             for brand_id in (*cmd.brand_ids, *(brand for _, brand in cmd.commission_brands))]
    if cmd.partner_id:
        named.append((PARTNER, cmd.partner_id))
    in_replica = cmd.commission_ids and not cmd.commission_brands
    found_later = bool(cmd.brands_of_partner or in_replica) and BRAND in allowed
    return known.may_reach(cmd.event_type,
                           [owner for owner in named if owner[0] in allowed],
                           BRAND if found_later else None)


def _recipients(uow: WebhooksUnitOfWork, cmd: commands.FanOut
                ) -> list[tuple[Endpoint, dict[str, Any]]]:
    """(endpoint, what it receives) for every endpoint of the event's owners that
    subscribes to its type. Owners come from the event, or from the replicas."""
    data_for: dict[Owner, dict[str, Any]] = {}
    for brand_id in cmd.brand_ids:
        data_for[Owner(BRAND, brand_id)] = dict(cmd.data)
    if cmd.partner_id:
        data_for[Owner(PARTNER, cmd.partner_id)] = dict(cmd.data)
    if cmd.brands_of_partner:
        for brand_id in uow.replicas.brands_of_partner(cmd.brands_of_partner):
            data_for[Owner(BRAND, brand_id)] = dict(cmd.data)
    if cmd.commission_ids:
        owned: dict[str, list[str]] = {}
        for commission_id, brand_id in _brands_of_commissions(uow, cmd):
            owned.setdefault(brand_id, []).append(commission_id)
        for brand_id, ids in owned.items():  # its own commissions, not the payout total
            data_for[Owner(BRAND, brand_id)] = {
                **cmd.data, "amount": None,
                "commission_ids": [i for i in cmd.commission_ids if i in ids]}
    allowed = catalogue.BY_NAME[cmd.event_type].audiences
    owners = [owner for owner in data_for if owner.type in allowed]
    if not owners:
        return []
    return [(endpoint, data_for[endpoint.owner])
            for endpoint in uow.endpoints.of_owners(owners)
            if endpoint.subscribes_to(cmd.event_type)]


def _brands_of_commissions(uow: WebhooksUnitOfWork, cmd: commands.FanOut
                           ) -> Iterable[tuple[str, str]]:
    """(commission id, brand id) of the commissions a payout pays: named by the event, or,
    for a payout held before payouts named them, from the replica kept until then."""
    if cmd.commission_brands:
        return cmd.commission_brands
    return uow.replicas.brands_of_commissions(cmd.commission_ids).items()


# --- the delivery driver ------------------------------------------------------------------------
@HANDLERS.command(commands.Deliver)
def deliver(cmd: commands.Deliver, uow: WebhooksUnitOfWork, sender: Sender, clock: Clock,
            settings: WebhooksSettings) -> str:
    """One attempt of a leased delivery: sign it with the secrets in force now, send it
    (the sender checks the destination again and times out), then record the attempt,
    the delivery's next step and the endpoint's run of failures in one transaction.
    Returns what happened (the attempt's outcome, or why none was made)."""
    with uow.peek():
        delivery = uow.deliveries.get(cmd.delivery_id)
        endpoint = uow.endpoints.get(delivery.endpoint_id) if delivery else None
    if delivery is None or not delivery.pending or not delivery.leased_by(cmd.lease_owner):
        return "not_leased"
    if endpoint is None or not endpoint.enabled:
        _release(uow, cmd, clock())
        return "endpoint_disabled"
    started = clock()
    payload = delivery.body.encode()
    outcome = sender.send(endpoint.url, {
        **signing.headers(endpoint.secrets_in_force(started), delivery.id, started, payload),
        "content-type": "application/json", "user-agent": settings.user_agent}, payload)
    with uow:
        current = uow.deliveries.get(delivery.id, for_update=True)
        if current is None or not current.pending or not current.leased_by(cmd.lease_owner):
            log.warning("delivery %s: lease lost during the attempt (%s); not recorded",
                        delivery.id, outcome.kind.value)
            return "lease_lost"
        now = clock()
        current.record(outcome, started_at=started, now=now, schedule=settings.schedule)
        uow.deliveries.save(current)
        if outcome.delivered:
            uow.endpoints.clear_failures(endpoint.id, now)
        else:
            failing = uow.endpoints.get(endpoint.id, for_update=True)
            if failing is not None:
                if failing.failed(now, settings.failure_policy, gone=outcome.gone):
                    log.warning("endpoint %s of %s %s disabled (%s)", failing.id,
                                failing.owner.type, failing.owner.id,
                                failing.disabled_reason.value)
                uow.endpoints.save(failing)
        uow.commit()
    return outcome.kind.value


def _release(uow: WebhooksUnitOfWork, cmd: commands.Deliver, now: datetime) -> None:
    with uow:
        delivery = uow.deliveries.get(cmd.delivery_id, for_update=True)
        if delivery is not None and delivery.leased_by(cmd.lease_owner):
            delivery.release(now)
            uow.deliveries.save(delivery)
            uow.commit()


@HANDLERS.command(commands.PurgeDeliveries)
def purge_deliveries(cmd: commands.PurgeDeliveries, uow: WebhooksUnitOfWork, clock: Clock,
                     settings: WebhooksSettings) -> int:
    with uow:
        purged = uow.deliveries.purge_finished(clock() - settings.retention)
        uow.commit()
    return purged


@HANDLERS.command(commands.ResealSecrets)
def reseal_secrets(cmd: commands.ResealSecrets, uow: WebhooksUnitOfWork) -> int:
    """Timer: endpoint secrets sealed again under the key ring's current key."""
    with uow:
        resealed = uow.endpoints.reseal_secrets()
        uow.commit()
    return resealed


# --- queries ----------------------------------------------------------------------------------
@HANDLERS.query(queries.GetEndpoint)
def get_endpoint(query: queries.GetEndpoint, uow: WebhooksUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.endpoint(conn, query.endpoint_id),
                      f"Endpoint {query.endpoint_id} does not exist.", "endpoint_id")


@HANDLERS.query(queries.ListEndpoints)
def list_endpoints(query: queries.ListEndpoints, uow: WebhooksUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.endpoints_page(conn, query)


@HANDLERS.query(queries.GetDelivery)
def get_delivery(query: queries.GetDelivery, uow: WebhooksUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.delivery(conn, query.delivery_id),
                      f"Delivery {query.delivery_id} does not exist.", "delivery_id")


@HANDLERS.query(queries.ListDeliveries)
def list_deliveries(query: queries.ListDeliveries, uow: WebhooksUnitOfWork) -> dict:
    with uow.read() as conn:
        _found(views.endpoint(conn, query.endpoint_id),
               f"Endpoint {query.endpoint_id} does not exist.", "endpoint_id")
        return views.deliveries_page(conn, query)


@HANDLERS.query(queries.Summary)
def summary(query: queries.Summary, uow: WebhooksUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.summary(conn, query)


@HANDLERS.query(queries.EventTypes)
def event_types(query: queries.EventTypes) -> dict:
    kinds = (catalogue.types_for(query.owner_type) if query.owner_type
             else catalogue.TYPES)
    return {"items": [{"type": kind.name, "description": kind.description,
                       "audiences": list(kind.audiences),
                       "fields": [field.name for field in kind.fields]}
                      for kind in kinds]}


def _found(dto: dict | None, message: str, field: str) -> dict:
    if dto is None:
        raise NotFound(message, {field: ["Unknown."]})
    return dto
