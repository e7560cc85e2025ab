"""In-memory fakes for the webhooks use cases: repositories, replicas, a sender, a
destination check."""
from __future__ import annotations

from datetime import UTC, datetime

from common.seedwork.application.bus import MessageBus
from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.webhooks.application.handlers import HANDLERS
from services.webhooks.application.integration_events import TRANSLATOR
from services.webhooks.application.settings import WebhooksSettings
from services.webhooks.application.subscriptions import SubscriptionCache, Subscriptions
from services.webhooks.domain.delivery import AttemptOutcome, DeliveryStatus, Outcome
from services.webhooks.domain.destinations import DestinationPolicy, parse
from tests.clock import Clock

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeEndpoints(InMemoryRepository):
    def delete(self, endpoint_id):
        self.items.pop(endpoint_id, None)

    def of_owners(self, owners):
        wanted = set(owners)
        return self.find(lambda endpoint: endpoint.owner in wanted)

    def subscribed_types(self):
        return {name for endpoint in self.items.values() for name in endpoint.event_types}

    def clear_failures(self, endpoint_id, now):
        endpoint = self.items.get(endpoint_id)
        if endpoint is not None:
            endpoint.delivered(now)


class FakeDeliveries(InMemoryRepository):
    def __init__(self):
        super().__init__()
        self.log: dict[str, list] = {}

    def add_all(self, deliveries):
        new = [d for d in deliveries if d.id not in self.items]
        for delivery in new:
            self.add(delivery)
        return len(new)

    def save(self, delivery):
        super().save(delivery)
        self.log.setdefault(delivery.id, []).extend(delivery.new_attempts)
        delivery.new_attempts = []

    def since(self, endpoint_id, since, statuses):
        return self.find(lambda d: d.endpoint_id == endpoint_id and d.created_at >= since
                         and d.status in set(statuses))

    def delete_for_endpoint(self, endpoint_id):
        for delivery in self.find(lambda d: d.endpoint_id == endpoint_id):
            self.items.pop(delivery.id)

    def purge_finished(self, before):
        old = self.find(lambda d: d.status is not DeliveryStatus.PENDING
                        and d.updated_at < before)
        for delivery in old:
            self.items.pop(delivery.id)
        return len(old)

    def of_endpoint(self, endpoint_id):
        return self.find(lambda d: d.endpoint_id == endpoint_id)


class FakeReplicas(AbstractRepository):
    def __init__(self):
        super().__init__()
        self.enrollments: dict[str, tuple[str, str]] = {}
        self.commissions: dict[str, str] = {}

    def add_enrollment(self, enrollment_id, partner_id, brand_id, campaign_id):
        self.enrollments.setdefault(enrollment_id, (partner_id, brand_id))

    def brands_of_partner(self, partner_id):
        return {brand for partner, brand in self.enrollments.values() if partner == partner_id}

    def brands_of_commissions(self, commission_ids):
        return {cid: self.commissions[cid] for cid in commission_ids if cid in self.commissions}


class FakeReplicaWriter:
    """Writes into the fake replicas, as its own commit would; counts its writes."""

    def __init__(self, replicas: FakeReplicas):
        self.replicas = replicas
        self.writes = 0

    def add(self, *, enrollment=None):
        self.writes += 1
        if enrollment is not None:
            self.replicas.add_enrollment(enrollment.enrollment_id, enrollment.partner_id,
                                         enrollment.brand_id, enrollment.campaign_id)


class FakeBindings:
    """Records the types bound; ``fail``: the broker refuses."""

    def __init__(self):
        self.bound: list[str] = []
        self.fail = False

    def ensure(self, event_types, *, again=False):
        if self.fail:
            raise ConnectionError("broker away")
        new = sorted({name for name in event_types if again or name not in self.bound})
        self.bound.extend(name for name in new if name not in self.bound)
        return new


class FakeSender:
    """Answers from a script of outcome kinds (default: delivered); records requests."""

    def __init__(self, *kinds: AttemptOutcome):
        self.script = list(kinds)
        self.requests: list[tuple[str, dict, bytes]] = []

    def send(self, url, headers, body):
        self.requests.append((url, dict(headers), body))
        kind = self.script.pop(0) if self.script else AttemptOutcome.DELIVERED
        status = {AttemptOutcome.DELIVERED: 200, AttemptOutcome.GONE: 410,
                  AttemptOutcome.HTTP_ERROR: 500}.get(kind)
        return Outcome(kind, 12.5, status_code=status, response_excerpt="ok" if status else None,
                       error=None if kind is AttemptOutcome.DELIVERED else kind.value)


class FakeDestinations:
    def __init__(self, policy=DestinationPolicy(allow_http=True)):
        self.policy = policy

    def check(self, url):
        return parse(url, self.policy)


class Monotonic:
    """A monotonic clock the test moves (the subscriptions snapshot's age)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class CountingLoader:
    """Loads the subscriptions snapshot from the fake endpoints, counting reads."""

    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.loads = 0
        self.fail = False

    def __call__(self):
        self.loads += 1
        if self.fail:
            raise ConnectionError("database away")
        return Subscriptions.of((e.owner.type, e.owner.id, e.event_types)
                                for e in self.endpoints.items.values())


def world(settings: WebhooksSettings | None = None, sender: FakeSender | None = None,
          subscriptions: SubscriptionCache | None = None):
    """(bus, uow, clock, sender) over fresh fakes. The subscriptions snapshot (unless
    given) is read from the fake endpoints and never ages: only changes drop it."""
    endpoints, replicas = FakeEndpoints(), FakeReplicas()
    uow = InMemoryUnitOfWork(translator=TRANSLATOR, endpoints=endpoints,
                             deliveries=FakeDeliveries(), replicas=replicas)
    clock, sender = Clock(T0), sender or FakeSender()
    bus = MessageBus(uow, HANDLERS, {
        "clock": clock, "settings": settings or WebhooksSettings(), "sender": sender,
        "destinations": FakeDestinations(), "replica_writer": FakeReplicaWriter(replicas),
        "bindings": FakeBindings(),
        "subscriptions": subscriptions or SubscriptionCache(
            CountingLoader(endpoints), max_age=1.0, monotonic=Monotonic())})
    return bus, uow, clock, sender
