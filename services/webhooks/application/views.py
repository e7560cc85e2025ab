"""Read side: SQLAlchemy Core over the webhooks tables straight to DTOs, skipping the
domain. Secrets are never read here: no DTO carries one."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Row, bindparam, case, func, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import Listing, equal_to, time_text
from services.webhooks.application import queries
from services.webhooks.infrastructure.tables import deliveries, delivery_attempts, endpoints

_e, _d, _a = endpoints.c, deliveries.c, delivery_attempts.c

_ENDPOINT_COLUMNS = [_e[name] for name in (
    "id", "owner_type", "owner_id", "url", "description", "event_types", "status",
    "disabled_reason", "disabled_at", "consecutive_failures", "failing_since",
    "previous_secret_expires_at", "created_at", "updated_at")]
_ENDPOINT = select(*_ENDPOINT_COLUMNS).where(_e.id == bindparam("id"))
_ENDPOINTS = Listing(*_ENDPOINT_COLUMNS, order_by=(_e.created_at.desc(), _e.id),
                     filters=equal_to(_e.owner_type, _e.owner_id, _e.status))

_DELIVERY_COLUMNS = [_d[name] for name in (
    "id", "endpoint_id", "event_id", "event_type", "status", "attempts",
    "next_attempt_at", "last_status_code", "last_error", "created_at", "occurred_at",
    "delivered_at", "updated_at")]
_JOINED = deliveries.join(endpoints, _e.id == _d.endpoint_id)
_DELIVERY = (select(*_DELIVERY_COLUMNS, _d.body, _e.owner_type, _e.owner_id)
             .select_from(_JOINED).where(_d.id == bindparam("id")))
_OWNER = select(_e.owner_type, _e.owner_id).where(_e.id == bindparam("id"))
_DELIVERIES = Listing(*_DELIVERY_COLUMNS, order_by=(_d.created_at.desc(), _d.id), filters={
    **equal_to(_d.endpoint_id, _d.status, _d.event_type),
    "since": _d.created_at >= bindparam("since")})
_ATTEMPTS = (select(_a.delivery_id, _a.attempt, _a.started_at, _a.duration_ms,
                    _a.status_code, _a.outcome, _a.response_excerpt, _a.error,
                    _a.next_attempt_at)
             .where(_a.delivery_id.in_(bindparam("ids", expanding=True)))
             .order_by(_a.delivery_id, _a.position))


def _endpoint_dto(row) -> dict:
    return {
        "endpoint_id": row.id, "owner_type": row.owner_type, "owner_id": row.owner_id,
        "url": row.url, "description": row.description,
        "event_types": list(row.event_types), "status": row.status,
        "disabled_reason": row.disabled_reason, "disabled_at": time_text(row.disabled_at),
        "consecutive_failures": row.consecutive_failures,
        "failing_since": time_text(row.failing_since),
        "previous_secret_expires_at": time_text(row.previous_secret_expires_at),
        "created_at": time_text(row.created_at), "updated_at": time_text(row.updated_at),
    }


def endpoint(conn: Connection, endpoint_id: str) -> dict | None:
    row = conn.execute(_ENDPOINT, {"id": endpoint_id}).first()
    return _endpoint_dto(row) if row else None


def endpoints_page(conn: Connection, query: queries.ListEndpoints) -> dict:
    return _ENDPOINTS.page(conn, page=query.page, page_size=query.page_size,
                           items=lambda rows: [_endpoint_dto(row) for row in rows],
                           owner_type=query.owner_type, owner_id=query.owner_id,
                           status=query.status)


def _attempt_dto(row) -> dict:
    return {"attempt": row.attempt, "started_at": time_text(row.started_at),
            "duration_ms": row.duration_ms, "status_code": row.status_code,
            "outcome": row.outcome, "response_excerpt": row.response_excerpt,
            "error": row.error, "next_attempt_at": time_text(row.next_attempt_at)}


def _delivery_dto(row, owner, attempts: list[dict]) -> dict:
    return {
        "delivery_id": row.id, "webhook_id": row.id, "endpoint_id": row.endpoint_id,
        "owner_type": owner.owner_type, "owner_id": owner.owner_id, "event_id": row.event_id,
        "event_type": row.event_type, "status": row.status,
        "failing": row.status == "PENDING" and row.attempts > 0,
        "attempts": row.attempts, "next_attempt_at": time_text(row.next_attempt_at),
        "last_status_code": row.last_status_code, "last_error": row.last_error,
        "created_at": time_text(row.created_at), "occurred_at": time_text(row.occurred_at),
        "delivered_at": time_text(row.delivered_at), "updated_at": time_text(row.updated_at),
        "attempt_log": attempts,
    }


def _with_attempts(conn: Connection, rows: Sequence[Row], owner) -> list[dict]:
    log: dict[str, list[dict]] = defaultdict(list)
    if rows:
        for attempt in conn.execute(_ATTEMPTS, {"ids": [row.id for row in rows]}):
            log[attempt.delivery_id].append(_attempt_dto(attempt))
    return [_delivery_dto(row, owner or row, log[row.id]) for row in rows]


def delivery(conn: Connection, delivery_id: str) -> dict | None:
    row = conn.execute(_DELIVERY, {"id": delivery_id}).first()
    if row is None:
        return None
    [dto] = _with_attempts(conn, [row], None)
    return {**dto, "payload": json.loads(row.body)}


def deliveries_page(conn: Connection, query: queries.ListDeliveries) -> dict:
    """One endpoint's deliveries, newest first, each with its attempts."""
    owner = conn.execute(_OWNER, {"id": query.endpoint_id}).first()
    return _DELIVERIES.page(conn, page=query.page, page_size=query.page_size,
                            items=lambda rows: _with_attempts(conn, rows, owner),
                            endpoint_id=query.endpoint_id, status=query.status,
                            event_type=query.event_type, since=query.since)


_FAILING = case((_d.attempts > 0, True), else_=False)
_DELIVERY_COUNTS = (select(_d.endpoint_id, _d.status, _FAILING.label("failing"),
                           func.count().label("n"))
                    .select_from(_JOINED).group_by(_d.endpoint_id, _d.status, _FAILING))
_ENDPOINT_LIST = select(_e.id, _e.url, _e.status, _e.owner_type, _e.owner_id)


def summary(conn: Connection, query: queries.Summary) -> dict:
    """Totals for the owner (every owner when none is named): endpoints enabled and
    disabled; deliveries delivered, pending (not tried yet), failing (pending after a
    failed attempt), failed (schedule over) and skipped; the same per endpoint."""
    scope = []
    if query.owner_type:
        scope.append(_e.owner_type == query.owner_type)
    if query.owner_id:
        scope.append(_e.owner_id == query.owner_id)
    per_endpoint = {row.id: {"endpoint_id": row.id, "url": row.url, "status": row.status,
                             **_empty()}
                    for row in conn.execute(_ENDPOINT_LIST.where(*scope))}
    for row in conn.execute(_DELIVERY_COUNTS.where(*scope)):
        counts = per_endpoint.get(row.endpoint_id)
        if counts is not None:
            counts[_bucket(row.status, bool(row.failing))] += row.n
    totals = _empty()
    for counts in per_endpoint.values():
        for key in totals:
            totals[key] += counts[key]
    statuses = [counts["status"] for counts in per_endpoint.values()]
    return {"endpoints": {"total": len(statuses), "enabled": statuses.count("ENABLED"),
                          "disabled": statuses.count("DISABLED")},
            "deliveries": totals,
            "by_endpoint": sorted(per_endpoint.values(), key=lambda item: item["endpoint_id"])}


def _empty() -> dict[str, int]:
    return {"delivered": 0, "pending": 0, "failing": 0, "failed": 0, "skipped": 0}


def _bucket(status: str, failing: bool) -> str:
    if status == "PENDING":
        return "failing" if failing else "pending"
    return status.lower()
