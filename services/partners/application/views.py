"""Read side: plain SQL to DTOs, skipping the domain (cosmicpython's views)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from common.seedwork.domain.clock import as_utc, isoformat
from services.partners.application import queries

_COLUMNS = ("id, name, email, type, country, status, kyc_status, payout_method, "
            "suspension_reason, registered_at, updated_at, revision")


def _dto(row) -> dict:
    payout_method = row.payout_method
    if isinstance(payout_method, str):  # SQLite hands JSON back as text through text()
        payout_method = json.loads(payout_method)
    return {
        "partner_id": row.id,
        "name": row.name,
        "email": row.email,
        "type": row.type,
        "country": row.country,
        "status": row.status,
        "kyc_status": row.kyc_status,
        "payout_method": payout_method,
        "suspension_reason": row.suspension_reason,
        "registered_at": _time(row.registered_at),
        "updated_at": _time(row.updated_at),
        "revision": row.revision,
    }


def _time(value) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return isoformat(as_utc(value))


def partner(conn: Connection, partner_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM partners WHERE id = :id"),
                       {"id": partner_id}).first()
    return _dto(row) if row else None


def partners_page(conn: Connection, query: queries.ListPartners) -> dict:
    filters, params = [], {}
    for column in ("status", "type", "country"):
        value = getattr(query, column)
        if value:
            filters.append(f"{column} = :{column}")
            params[column] = value
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    total = conn.execute(text(f"SELECT count(*) FROM partners {where}"), params).scalar()
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM partners {where} "
             "ORDER BY registered_at DESC, id LIMIT :limit OFFSET :offset"),
        {**params, "limit": query.page_size, "offset": (query.page - 1) * query.page_size},
    ).all()
    return {"items": [_dto(row) for row in rows], "page": query.page,
            "page_size": query.page_size, "total": total}
