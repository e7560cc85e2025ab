"""Data mappers between the webhooks domain and its tables."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.webhooks.application.commands import EnrollmentRef
from services.webhooks.application.subscriptions import Subscriptions
from services.webhooks.domain.delivery import Delivery, DeliveryStatus
from services.webhooks.domain.endpoint import Endpoint, Owner
from services.webhooks.infrastructure import sealing
from services.webhooks.infrastructure.tables import (
    commissions,
    deliveries,
    delivery_attempts,
    endpoints,
    enrollments,
)

log = logging.getLogger(__name__)
_IGNORING_DUPLICATES: dict[tuple[str, str], Any] = {}  # (table, dialect) -> statement


def insert_ignoring_duplicates(connection: Connection, table, rows: list[dict]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): how many were new."""
    if not rows:
        return 0
    key = (table.name, connection.dialect.name)
    statement = _IGNORING_DUPLICATES.get(key)
    if statement is None:  # built once: constructing it costs more than running it
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[connection.dialect.name]
        statement = _IGNORING_DUPLICATES[key] = dialect.insert(table).on_conflict_do_nothing()
    return sum(connection.execute(statement, row).rowcount for row in rows)


class SqlEndpointRepository(SqlAlchemyRepository[Endpoint]):
    table = endpoints

    def delete(self, endpoint_id: str) -> None:
        self.connection.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))

    def of_owners(self, owners: Iterable[Owner]) -> list[Endpoint]:
        pairs = [(owner.type, owner.id) for owner in owners]
        if not pairs:
            return []
        return self._many(select(endpoints).where(
            tuple_(endpoints.c.owner_type, endpoints.c.owner_id).in_(pairs)))

    def subscribed_types(self) -> set[str]:
        return {name for (types,) in self.connection.execute(_SUBSCRIBED_TYPES)
                for name in types}

    _CLEAR = (update(endpoints)
              .where(endpoints.c.id == bindparam("endpoint_id"),
                     endpoints.c.consecutive_failures > 0)
              .values(consecutive_failures=0, failing_since=None,
                      updated_at=bindparam("now"), version=endpoints.c.version + 1))

    def clear_failures(self, endpoint_id: str, now: datetime) -> None:
        self.connection.execute(self._CLEAR, {"endpoint_id": endpoint_id, "now": now})

    def reseal_secrets(self) -> int:
        """Seal again, under the ring's first key, every secret stored in clear or under
        another key (after a key was added, or set for the first time); how many rows.
        A row is rewritten only if its secrets are still the ones read (a rotation
        committed meanwhile wins; the next pass seals its secret)."""
        ring, changed = sealing.RING, 0
        for row in self.connection.execute(_SECRETS).mappings().all():
            stale = [name for name in SECRET_COLUMNS if ring.needs_sealing(row[name])]
            try:
                values = {name: ring.seal(ring.open(row[name], name), name) for name in stale}
            except sealing.SealingError as error:  # its key left the ring: say so, go on
                log.error("endpoint %s: %s", row["id"], error)
                continue
            if values:
                changed += self.connection.execute(
                    update(endpoints)
                    .where(endpoints.c.id == row["id"],
                           *(endpoints.c[name] == row[name] for name in stale))
                    .values(values)).rowcount
        return changed

    def _to_row(self, endpoint: Endpoint) -> dict:
        return {
            "id": endpoint.id, "owner_type": endpoint.owner.type,
            "owner_id": endpoint.owner.id, "url": endpoint.url,
            "description": endpoint.description, "event_types": list(endpoint.event_types),
            "status": endpoint.status.value, "secret": _sealed(endpoint.secret, "secret"),
            "previous_secret": _sealed(endpoint.previous_secret, "previous_secret"),
            "previous_secret_expires_at": endpoint.previous_secret_expires_at,
            "consecutive_failures": endpoint.consecutive_failures,
            "failing_since": endpoint.failing_since,
            "disabled_reason": endpoint.disabled_reason.value
            if endpoint.disabled_reason else None,
            "disabled_at": endpoint.disabled_at, "created_at": endpoint.created_at,
            "updated_at": endpoint.updated_at,
        }

    def _from_row(self, row) -> Endpoint:
        return Endpoint(
            id=row.id, owner=Owner(row.owner_type, row.owner_id), url=row.url,
            description=row.description, event_types=row.event_types, status=row.status,
            secret=_opened(row.secret, "secret"),
            previous_secret=_opened(row.previous_secret, "previous_secret"),
            previous_secret_expires_at=row.previous_secret_expires_at,
            consecutive_failures=row.consecutive_failures, failing_since=row.failing_since,
            disabled_reason=row.disabled_reason, disabled_at=row.disabled_at,
            created_at=row.created_at, updated_at=row.updated_at)


SECRET_COLUMNS = ("secret", "previous_secret")
_SECRETS = select(endpoints.c.id, *(endpoints.c[name] for name in SECRET_COLUMNS))


def _sealed(secret: str | None, column: str) -> str | None:
    return None if secret is None else sealing.RING.seal(secret, column)


def _opened(stored: str | None, column: str) -> str | None:
    return None if stored is None else sealing.RING.open(stored, column)


_SUBSCRIBED_TYPES = select(endpoints.c.event_types)
_SUBSCRIPTIONS = select(endpoints.c.owner_type, endpoints.c.owner_id, endpoints.c.event_types)


def load_subscriptions(database: Database) -> Subscriptions:
    """Every endpoint's owner and event types, whatever its status: one read, no lock."""
    with database.reader() as conn:
        return Subscriptions.of(conn.execute(_SUBSCRIPTIONS))


class SqlDeliveryRepository(SqlAlchemyRepository[Delivery]):
    table = deliveries

    def add_all(self, found: Iterable[Delivery]) -> int:
        rows = [{**self._to_row(delivery), "version": 1} for delivery in found]
        return insert_ignoring_duplicates(self.connection, deliveries, rows)

    def save(self, delivery: Delivery) -> None:
        super().save(delivery)
        attempts, delivery.new_attempts = delivery.new_attempts, []
        if attempts:
            self.connection.execute(insert(delivery_attempts), [{
                "delivery_id": delivery.id, "endpoint_id": delivery.endpoint_id,
                "attempt": a.number, "started_at": a.started_at,
                "duration_ms": round(a.outcome.duration_ms, 1),
                "status_code": a.outcome.status_code, "outcome": a.outcome.kind.value,
                "response_excerpt": a.outcome.response_excerpt, "error": a.outcome.error,
                "next_attempt_at": a.next_attempt_at} for a in attempts])

    def since(self, endpoint_id: str, since: datetime,
              statuses: Iterable[DeliveryStatus]) -> list[Delivery]:
        d = deliveries.c
        return self._many(select(deliveries).where(
            d.endpoint_id == endpoint_id, d.created_at >= since,
            d.status.in_([status.value for status in statuses])).order_by(d.created_at))

    def delete_for_endpoint(self, endpoint_id: str) -> None:
        self.connection.execute(delete(delivery_attempts).where(
            delivery_attempts.c.endpoint_id == endpoint_id))
        self.connection.execute(delete(deliveries).where(
            deliveries.c.endpoint_id == endpoint_id))

    def purge_finished(self, before: datetime) -> int:
        d = deliveries.c
        finished = and_(d.status != DeliveryStatus.PENDING.value, d.updated_at < before)
        self.connection.execute(delete(delivery_attempts).where(
            delivery_attempts.c.delivery_id.in_(select(d.id).where(finished))))
        return self.connection.execute(delete(deliveries).where(finished)).rowcount

    def _to_row(self, delivery: Delivery) -> dict:
        return {
            "id": delivery.id, "endpoint_id": delivery.endpoint_id,
            "event_id": delivery.event_id, "event_type": delivery.event_type,
            "body": delivery.body, "status": delivery.status.value,
            "attempts": delivery.attempts, "step": delivery.step,
            "next_attempt_at": delivery.next_attempt_at, "lease_owner": delivery.lease_owner,
            "lease_until": delivery.lease_until, "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error, "created_at": delivery.created_at,
            "occurred_at": delivery.occurred_at, "updated_at": delivery.updated_at,
            "delivered_at": delivery.delivered_at,
        }

    def _from_row(self, row) -> Delivery:
        return Delivery(
            id=row.id, endpoint_id=row.endpoint_id, event_id=row.event_id,
            event_type=row.event_type, body=row.body, status=row.status,
            attempts=row.attempts, step=row.step, next_attempt_at=row.next_attempt_at,
            created_at=row.created_at, occurred_at=row.occurred_at,
            updated_at=row.updated_at, delivered_at=row.delivered_at,
            last_status_code=row.last_status_code, last_error=row.last_error,
            lease_owner=row.lease_owner, lease_until=row.lease_until)


class SqlReplicas(AbstractRepository):
    """Rows from other services' events; inserting one twice changes nothing."""

    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def add_enrollment(self, enrollment_id: str, partner_id: str, brand_id: str,
                       campaign_id: str) -> None:
        insert_ignoring_duplicates(self.connection, enrollments, [{
            "id": enrollment_id, "partner_id": partner_id, "brand_id": brand_id,
            "campaign_id": campaign_id}])

    def brands_of_partner(self, partner_id: str) -> set[str]:
        return set(self.connection.execute(
            select(enrollments.c.brand_id).where(enrollments.c.partner_id == partner_id)
            .distinct()).scalars())

    def brands_of_commissions(self, commission_ids: Iterable[str]) -> Mapping[str, str]:
        ids = list(commission_ids)
        if not ids:
            return {}
        rows = self.connection.execute(select(commissions.c.id, commissions.c.brand_id)
                                       .where(commissions.c.id.in_(ids)))
        return {row.id: row.brand_id for row in rows}



class SqlReplicaWriter:
    """``ReplicaWriter``: the rows in one short transaction of their own, straight on the
    write engine (no ORM session: the cheapest durable write there is)."""

    def __init__(self, database: Database):
        self.database = database

    def add(self, *, enrollment: EnrollmentRef | None = None) -> None:
        if enrollment is None:
            return
        with self.database.transaction() as conn:
            SqlReplicas(conn).add_enrollment(enrollment.enrollment_id, enrollment.partner_id,
                                             enrollment.brand_id, enrollment.campaign_id)
