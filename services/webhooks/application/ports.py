"""What the webhooks use cases need from the outside world (implemented in
infrastructure)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from services.webhooks.application.commands import EnrollmentRef
from services.webhooks.domain.delivery import Delivery, DeliveryStatus, Outcome
from services.webhooks.domain.destinations import Target
from services.webhooks.domain.endpoint import Endpoint, Owner


class EndpointRepository(Protocol):
    def add(self, endpoint: Endpoint) -> None: ...
    def save(self, endpoint: Endpoint) -> None: ...
    def get(self, endpoint_id: str, *, for_update: bool = False) -> Endpoint | None: ...
    def delete(self, endpoint_id: str) -> None: ...
    def of_owners(self, owners: Iterable[Owner]) -> list[Endpoint]: ...
    def subscribed_types(self) -> set[str]:
        """Every event type at least one endpoint (of any status) subscribes to."""
    def clear_failures(self, endpoint_id: str, now: datetime) -> None:
        """A delivered attempt ends the endpoint's run of failures (one statement, no
        read: deliveries to one endpoint succeed concurrently)."""
    def reseal_secrets(self) -> int:
        """Secrets stored in clear or under an older key, stored sealed under the current
        one (an infrastructure concern: the domain only ever sees secrets in clear)."""


class DeliveryRepository(Protocol):
    def add_all(self, deliveries: Iterable[Delivery]) -> int:
        """Insert the ones not there yet (same id: same event, same endpoint)."""
    def save(self, delivery: Delivery) -> None:
        """Its row, and the attempts it recorded (appended to the log)."""
    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None: ...
    def since(self, endpoint_id: str, since: datetime,
              statuses: Iterable[DeliveryStatus]) -> list[Delivery]: ...
    def delete_for_endpoint(self, endpoint_id: str) -> None: ...
    def purge_finished(self, before: datetime) -> int: ...


class Replicas(Protocol):
    """What other services' events taught us: who works with whom."""

    def add_enrollment(self, enrollment_id: str, partner_id: str, brand_id: str,
                       campaign_id: str) -> None: ...
    def brands_of_partner(self, partner_id: str) -> set[str]: ...
    def brands_of_commissions(self, commission_ids: Iterable[str]) -> Mapping[str, str]:
        """For payouts held before payout events named the brands: the replica kept from
        ``commission_created`` until then (no longer written)."""


class ReplicaWriter(Protocol):
    """The replicas' rows written on their own, outside a unit of work (an event that
    feeds a replica and reaches nobody: nothing else to write with them)."""

    def add(self, *, enrollment: EnrollmentRef | None = None) -> None:
        """Committed when it returns (raises otherwise); a row there already is left."""


class Bindings(Protocol):
    """Which event types reach the service (infrastructure/bindings.py)."""

    def ensure(self, event_types: Iterable[str], *, again: bool = False) -> list[str]:
        """From now on, events that become these webhook types are received (types fed
        to replicas always are). Idempotent; raises when the broker refuses."""


class WebhooksUnitOfWork(UnitOfWork, Protocol):
    endpoints: EndpointRepository
    deliveries: DeliveryRepository
    replicas: Replicas


class Destinations(Protocol):
    def check(self, url: str) -> Target:
        """The URL parsed and its host resolved, every address allowed (else
        ``DestinationRefused``)."""


class Sender(Protocol):
    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """One attempt: check the destination again, connect to the checked address,
        POST, and report what came back (never raises)."""
