"""Read side: plain SQL to DTOs, skipping the aggregates (cosmicpython's views).

Raw SQL hands values back as the driver has them (SQLite: decimals and times as text,
JSON as text, booleans as 0/1); the small converters below make both backends agree.
Terms rows are turned into ``Terms`` values only to share their wire shape (``dto``).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from common.seedwork.domain.clock import as_utc
from common.seedwork.domain.money import Money
from services.campaigns.application import dto, queries
from services.campaigns.domain.terms import Model, Terms, canonical, version_in_force


# --- value converters -----------------------------------------------------------------------
def _time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


def _decimal(value) -> Decimal | None:
    return None if value is None else canonical(Decimal(str(value)))


def _money(amount, currency: str) -> Money | None:
    return None if amount is None else Money(_decimal(amount), currency)


def _json_list(value) -> list:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


# --- paging ---------------------------------------------------------------------------------
def _page(conn: Connection, query: queries.PageQuery, *, select: str, table: str,
          filters: dict[str, Any], order_by: str, to_dto: Callable[[list], list[dict]]) -> dict:
    """One page of ``select`` over ``table`` where every non-empty filter column equals."""
    active = {column: value for column, value in filters.items() if value}
    where = " AND ".join(f"{column} = :{column}" for column in active)
    where = f"WHERE {where}" if where else ""
    total = conn.execute(text(f"SELECT count(*) FROM {table} {where}"), active).scalar()
    rows = conn.execute(
        text(f"SELECT {select} FROM {table} {where} ORDER BY {order_by} "
             "LIMIT :limit OFFSET :offset"),
        {**active, "limit": query.page_size, "offset": (query.page - 1) * query.page_size},
    ).all()
    return {"items": to_dto(rows), "page": query.page, "page_size": query.page_size,
            "total": total}


# --- brands ---------------------------------------------------------------------------------
_BRAND = "id, name, currency, registered_at"


def _brand_dto(row) -> dict:
    return {"brand_id": row.id, "name": row.name, "currency": row.currency,
            "registered_at": dto.timestamp(_time(row.registered_at))}


def brand(conn: Connection, brand_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {_BRAND} FROM brands WHERE id = :id"),
                       {"id": brand_id}).first()
    return _brand_dto(row) if row else None


def brands_page(conn: Connection, query: queries.ListBrands) -> dict:
    return _page(conn, query, select=_BRAND, table="brands", filters={},
                 order_by="registered_at DESC, id",
                 to_dto=lambda rows: [_brand_dto(row) for row in rows])


# --- campaigns ------------------------------------------------------------------------------
_CAMPAIGN = ("id, brand_id, name, description, currency, status, pause_reason, budget_amount, "
             "starts_at, ends_at, landing_url, eligible_partner_types, eligible_countries, "
             "created_at, updated_at, revision")
_TERMS = ("campaign_id, version, model, rate, min_amount, max_amount, amount, "
          "daily_click_cap, attribution_window_days, hold_days, effective_from")


def _terms(row, currency: str) -> Terms:
    return Terms(
        version=row.version, model=Model(row.model), rate=_decimal(row.rate),
        min=_money(row.min_amount, currency), max=_money(row.max_amount, currency),
        amount=_money(row.amount, currency), daily_click_cap=row.daily_click_cap,
        attribution_window_days=row.attribution_window_days, hold_days=row.hold_days,
        effective_from=_time(row.effective_from))


def _terms_by_campaign(conn: Connection, rows) -> dict[str, list[Terms]]:
    currencies = {row.id: row.currency for row in rows}
    if not currencies:
        return {}
    found: dict[str, list[Terms]] = {campaign_id: [] for campaign_id in currencies}
    statement = text(f"SELECT {_TERMS} FROM campaign_terms WHERE campaign_id IN :ids "
                     "ORDER BY campaign_id, version").bindparams(
        bindparam("ids", expanding=True))
    for row in conn.execute(statement, {"ids": list(currencies)}).all():
        found[row.campaign_id].append(_terms(row, currencies[row.campaign_id]))
    return found


def _campaign_dto(row, history: list[Terms], now: datetime) -> dict:
    return {
        "campaign_id": row.id,
        "brand_id": row.brand_id,
        "name": row.name,
        "description": row.description,
        "currency": row.currency,
        "status": row.status,
        "pause_reason": row.pause_reason,
        "budget": dto.money(_money(row.budget_amount, row.currency)),
        "starts_at": dto.timestamp(_time(row.starts_at)),
        "ends_at": dto.timestamp(_time(row.ends_at)),
        "landing_url": row.landing_url,
        "eligibility": {"partner_types": _json_list(row.eligible_partner_types),
                        "countries": _json_list(row.eligible_countries)},
        "terms": dto.terms(version_in_force(history, now, lambda t: t.effective_from)),
        "terms_history": [dto.terms(terms) for terms in history],
        "revision": row.revision,
        "created_at": dto.timestamp(_time(row.created_at)),
        "updated_at": dto.timestamp(_time(row.updated_at)),
    }


def _campaign_dtos(conn: Connection, rows, now: datetime) -> list[dict]:
    history = _terms_by_campaign(conn, rows)
    return [_campaign_dto(row, history[row.id], now) for row in rows]


def campaign(conn: Connection, campaign_id: str, now: datetime) -> dict | None:
    rows = conn.execute(text(f"SELECT {_CAMPAIGN} FROM campaigns WHERE id = :id"),
                        {"id": campaign_id}).all()
    return _campaign_dtos(conn, rows, now)[0] if rows else None


def campaigns_page(conn: Connection, query: queries.ListCampaigns, now: datetime) -> dict:
    return _page(conn, query, select=_CAMPAIGN, table="campaigns",
                 filters={"brand_id": query.brand_id, "status": query.status},
                 order_by="created_at DESC, id",
                 to_dto=lambda rows: _campaign_dtos(conn, rows, now))


# --- enrollments ----------------------------------------------------------------------------
_ENROLLMENT = ("id, campaign_id, brand_id, partner_id, referral_code, tracking_url, status, "
               "suspension_reason, enrolled_at, updated_at, revision")


def _enrollment_dto(row) -> dict:
    return {
        "enrollment_id": row.id,
        "campaign_id": row.campaign_id,
        "brand_id": row.brand_id,
        "partner_id": row.partner_id,
        "referral_code": row.referral_code,
        "tracking_url": row.tracking_url,
        "status": row.status,
        "suspension_reason": row.suspension_reason,
        "enrolled_at": dto.timestamp(_time(row.enrolled_at)),
        "updated_at": dto.timestamp(_time(row.updated_at)),
        "revision": row.revision,
    }


def enrollment(conn: Connection, enrollment_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {_ENROLLMENT} FROM enrollments WHERE id = :id"),
                       {"id": enrollment_id}).first()
    return _enrollment_dto(row) if row else None


def enrollments_page(conn: Connection, query: queries.ListEnrollments) -> dict:
    return _page(conn, query, select=_ENROLLMENT, table="enrollments",
                 filters={"campaign_id": query.campaign_id, "partner_id": query.partner_id,
                          "status": query.status},
                 order_by="enrolled_at DESC, id",
                 to_dto=lambda rows: [_enrollment_dto(row) for row in rows])


def referral(conn: Connection, code: str) -> dict | None:
    row = conn.execute(text(
        "SELECT e.referral_code, e.id, e.campaign_id, e.brand_id, e.partner_id, e.status, "
        "c.landing_url, c.status AS campaign_status "
        "FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id "
        "WHERE e.referral_code = :code"), {"code": code}).first()
    if row is None:
        return None
    return {"referral_code": row.referral_code, "enrollment_id": row.id,
            "campaign_id": row.campaign_id, "brand_id": row.brand_id,
            "partner_id": row.partner_id, "status": row.status,
            "landing_url": row.landing_url, "campaign_status": row.campaign_status}


# --- budget ---------------------------------------------------------------------------------
def budget(conn: Connection, campaign_id: str) -> dict | None:
    row = conn.execute(text(
        "SELECT id, currency, budget_amount, reserved_amount, budget_exhausted "
        "FROM campaigns WHERE id = :id"), {"id": campaign_id}).first()
    if row is None:
        return None
    total = _money(row.budget_amount, row.currency)
    reserved = _money(row.reserved_amount, row.currency)
    return {"campaign_id": row.id, "total": dto.money(total), "reserved": dto.money(reserved),
            "remaining": dto.money(total - reserved), "exhausted": bool(row.budget_exhausted)}
