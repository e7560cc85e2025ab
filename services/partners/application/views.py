"""Read side: SQLAlchemy Core over the partners tables straight to DTOs, skipping the
domain (cosmicpython's views). The column types normalise the values; the statements
are built once."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import Listing, equal_to, time_text
from services.partners.application import queries
from services.partners.infrastructure.tables import partners

_COLUMNS = [partners.c[name] for name in (
    "id", "name", "email", "type", "country", "status", "kyc_status", "payout_method",
    "suspension_reason", "registered_at", "updated_at", "revision")]
_PARTNER = select(*_COLUMNS).where(partners.c.id == bindparam("id"))
_PARTNERS = Listing(
    *_COLUMNS, order_by=(partners.c.registered_at.desc(), partners.c.id),
    filters=equal_to(partners.c.status, partners.c.type, partners.c.country))


def _dto(row) -> dict:
    return {
        "partner_id": row.id,
        "name": row.name,
        "email": row.email,
        "type": row.type,
        "country": row.country,
        "status": row.status,
        "kyc_status": row.kyc_status,
        "payout_method": row.payout_method,
        "suspension_reason": row.suspension_reason,
        "registered_at": time_text(row.registered_at),
        "updated_at": time_text(row.updated_at),
        "revision": row.revision,
    }


def partner(conn: Connection, partner_id: str) -> dict | None:
    row = conn.execute(_PARTNER, {"id": partner_id}).first()
    return _dto(row) if row else None


def partners_page(conn: Connection, query: queries.ListPartners) -> dict:
    return _PARTNERS.page(
        conn, page=query.page, page_size=query.page_size,
        items=lambda rows: [_dto(row) for row in rows],
        status=query.status, type=query.type, country=query.country)
