"""Read side: SQLAlchemy Core over the campaigns tables straight to DTOs, skipping the
aggregates (cosmicpython's views).

The column types normalise the values on both backends (aware UTC datetimes, exact
Decimals, parsed JSON, bools); the statements are built once. Terms rows are turned into
``Terms`` values only to share their wire shape (``dto``).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from common.contracts.campaigns import ENROLLED_STATUSES
from common.seedwork.application.read_side import Listing, equal_to
from common.seedwork.domain.money import Money
from services.campaigns.application import dto, queries
from services.campaigns.domain.terms import Model, Terms, version_in_force
from services.campaigns.infrastructure.tables import (
    brands,
    campaign_terms,
    campaigns,
    enrollments,
)


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount, currency)


# --- brands ---------------------------------------------------------------------------------
_BRAND_COLUMNS = (brands.c.id, brands.c.name, brands.c.currency, brands.c.registered_at)
_BRAND = select(*_BRAND_COLUMNS).where(brands.c.id == bindparam("id"))
_BRANDS = Listing(*_BRAND_COLUMNS, order_by=(brands.c.registered_at.desc(), brands.c.id))


def _brand_dto(row) -> dict:
    return {"brand_id": row.id, "name": row.name, "currency": row.currency,
            "registered_at": dto.timestamp(row.registered_at)}


def brand(conn: Connection, brand_id: str) -> dict | None:
    row = conn.execute(_BRAND, {"id": brand_id}).first()
    return _brand_dto(row) if row else None


def brands_page(conn: Connection, query: queries.ListBrands) -> dict:
    return _BRANDS.page(conn, page=query.page, page_size=query.page_size,
                        items=lambda rows: [_brand_dto(row) for row in rows])


# --- campaigns ------------------------------------------------------------------------------
_CAMPAIGN_COLUMNS = [campaigns.c[name] for name in (
    "id", "brand_id", "name", "description", "currency", "status", "pause_reason",
    "budget_amount", "starts_at", "ends_at", "landing_url", "eligible_partner_types",
    "eligible_countries", "admission", "created_at", "updated_at", "revision")]
_CAMPAIGN = select(*_CAMPAIGN_COLUMNS).where(campaigns.c.id == bindparam("id"))
_CAMPAIGNS = Listing(
    *_CAMPAIGN_COLUMNS, order_by=(campaigns.c.created_at.desc(), campaigns.c.id),
    filters=equal_to(campaigns.c.brand_id, campaigns.c.status))
_TERMS = (select(*(campaign_terms.c[name] for name in (
    "campaign_id", "version", "model", "rate", "min_amount", "max_amount", "amount",
    "daily_click_cap", "recurring_months", "attribution_window_days", "hold_days",
    "effective_from")))
    .where(campaign_terms.c.campaign_id.in_(bindparam("ids", expanding=True)))
    .order_by(campaign_terms.c.campaign_id, campaign_terms.c.version))


def _terms(row, currency: str) -> Terms:
    return Terms(
        version=row.version, model=Model(row.model), rate=row.rate,
        min=_money(row.min_amount, currency), max=_money(row.max_amount, currency),
        amount=_money(row.amount, currency), daily_click_cap=row.daily_click_cap,
        recurring_months=row.recurring_months,
        attribution_window_days=row.attribution_window_days, hold_days=row.hold_days,
        effective_from=row.effective_from)


def _terms_by_campaign(conn: Connection, rows) -> dict[str, list[Terms]]:
    currencies = {row.id: row.currency for row in rows}
    if not currencies:
        return {}
    found: dict[str, list[Terms]] = {campaign_id: [] for campaign_id in currencies}
    for row in conn.execute(_TERMS, {"ids": list(currencies)}).all():
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
        "starts_at": dto.timestamp(row.starts_at),
        "ends_at": dto.timestamp(row.ends_at),
        "landing_url": row.landing_url,
        "eligibility": {"partner_types": list(row.eligible_partner_types or []),
                        "countries": list(row.eligible_countries or [])},
        "admission": row.admission,
        "terms": dto.terms(version_in_force(history, now, lambda t: t.effective_from)),
        "terms_history": [dto.terms(terms) for terms in history],
        "revision": row.revision,
        "created_at": dto.timestamp(row.created_at),
        "updated_at": dto.timestamp(row.updated_at),
    }


def _campaign_dtos(conn: Connection, rows, now: datetime) -> list[dict]:
    history = _terms_by_campaign(conn, rows)
    return [_campaign_dto(row, history[row.id], now) for row in rows]


def campaign(conn: Connection, campaign_id: str, now: datetime) -> dict | None:
    rows = conn.execute(_CAMPAIGN, {"id": campaign_id}).all()
    return _campaign_dtos(conn, rows, now)[0] if rows else None


def campaigns_page(conn: Connection, query: queries.ListCampaigns, now: datetime) -> dict:
    return _CAMPAIGNS.page(conn, page=query.page, page_size=query.page_size,
                           items=lambda rows: _campaign_dtos(conn, rows, now),
                           brand_id=query.brand_id, status=query.status)


# --- enrollments ----------------------------------------------------------------------------
_ENROLLMENT_COLUMNS = [enrollments.c[name] for name in (
    "id", "campaign_id", "brand_id", "partner_id", "referral_code", "tracking_url", "status",
    "suspension_reason", "suspension_note", "applied_at", "application_note",
    "decline_reason", "commission", "commission_since", "enrolled_at", "updated_at",
    "revision")]
_ENROLLMENT = select(*_ENROLLMENT_COLUMNS).where(enrollments.c.id == bindparam("id"))
_ENROLLMENTS = Listing(
    *_ENROLLMENT_COLUMNS, order_by=(enrollments.c.enrolled_at.desc(), enrollments.c.id),
    filters=equal_to(enrollments.c.campaign_id, enrollments.c.partner_id,
                     enrollments.c.status))
_REFERRAL = (select(enrollments.c.referral_code, enrollments.c.id, enrollments.c.campaign_id,
                    enrollments.c.brand_id, enrollments.c.partner_id, enrollments.c.status,
                    campaigns.c.landing_url, campaigns.c.status.label("campaign_status"))
             .join_from(enrollments, campaigns, campaigns.c.id == enrollments.c.campaign_id)
             .where(enrollments.c.referral_code == bindparam("code"),
                    enrollments.c.status.in_(ENROLLED_STATUSES)))


def _enrollment_dto(row) -> dict:
    """An application's code is drawn but not the partner's until approved: not shown."""
    enrolled = row.status in ENROLLED_STATUSES
    return {
        "enrollment_id": row.id,
        "campaign_id": row.campaign_id,
        "brand_id": row.brand_id,
        "partner_id": row.partner_id,
        "referral_code": row.referral_code if enrolled else None,
        "tracking_url": row.tracking_url if enrolled else None,
        "status": row.status,
        "suspension_reason": row.suspension_reason,
        "suspension_note": row.suspension_note,
        "applied_at": dto.timestamp(row.applied_at),
        "application_note": row.application_note,
        "decline_reason": row.decline_reason,
        "commission": row.commission,  # the partner's own figures (None: the campaign's)
        "commission_since": dto.timestamp(row.commission_since),
        "enrolled_at": dto.timestamp(row.enrolled_at) if enrolled else None,
        "updated_at": dto.timestamp(row.updated_at),
        "revision": row.revision,
    }


def enrollment(conn: Connection, enrollment_id: str) -> dict | None:
    row = conn.execute(_ENROLLMENT, {"id": enrollment_id}).first()
    return _enrollment_dto(row) if row else None


def enrollments_page(conn: Connection, query: queries.ListEnrollments) -> dict:
    return _ENROLLMENTS.page(conn, page=query.page, page_size=query.page_size,
                             items=lambda rows: [_enrollment_dto(row) for row in rows],
                             campaign_id=query.campaign_id, partner_id=query.partner_id,
                             status=query.status)


def referral(conn: Connection, code: str) -> dict | None:
    row = conn.execute(_REFERRAL, {"code": code}).first()
    if row is None:
        return None
    return {"referral_code": row.referral_code, "enrollment_id": row.id,
            "campaign_id": row.campaign_id, "brand_id": row.brand_id,
            "partner_id": row.partner_id, "status": row.status,
            "landing_url": row.landing_url, "campaign_status": row.campaign_status}
