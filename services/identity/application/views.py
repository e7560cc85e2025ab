"""Read side: SQLAlchemy Core over the identity tables straight to DTOs (the shapes of
``dto``), skipping the domain. Hashes and digests are never selected."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from common.seedwork.application.read_side import Listing, equal_to
from services.identity.application import dto, queries
from services.identity.infrastructure.tables import accounts, api_keys, invitations

text = dto.text
account_of = dto.account
api_key_of = dto.api_key
invitation_of = dto.invitation

_ACCOUNT_COLUMNS = [accounts.c[name] for name in (
    "id", "email", "role", "partner_id", "brand_id", "brand_role", "status", "created_at")]
_ACCOUNT = select(*_ACCOUNT_COLUMNS).where(accounts.c.id == bindparam("id"))
_ACCOUNTS = Listing(*_ACCOUNT_COLUMNS, order_by=(accounts.c.created_at.desc(), accounts.c.id),
                    filters=equal_to(accounts.c.role, accounts.c.brand_id, accounts.c.status))

_KEY_COLUMNS = [api_keys.c[name] for name in (
    "id", "brand_id", "name", "prefix", "scopes", "created_by", "created_at", "last_used_at",
    "revoked_at")]
_KEYS = Listing(*_KEY_COLUMNS, order_by=(api_keys.c.created_at.desc(), api_keys.c.id),
                filters=equal_to(api_keys.c.brand_id))

_INVITATION_COLUMNS = [invitations.c[name] for name in (
    "id", "brand_id", "email", "brand_role", "invited_by", "created_at", "expires_at")]
_PENDING = (select(*_INVITATION_COLUMNS)
            .where(invitations.c.brand_id == bindparam("brand_id"),
                   invitations.c.accepted_at.is_(None),
                   invitations.c.revoked_at.is_(None),
                   invitations.c.expires_at > bindparam("now"))
            .order_by(invitations.c.created_at.desc(), invitations.c.id))


def account(conn: Connection, account_id: str) -> dict | None:
    row = conn.execute(_ACCOUNT, {"id": account_id}).first()
    return dto.account(row) if row else None


def accounts_page(conn: Connection, query: queries.ListAccounts) -> dict:
    return _ACCOUNTS.page(conn, page=query.page, page_size=query.page_size,
                          items=lambda rows: [dto.account(row) for row in rows],
                          role=query.role, brand_id=query.brand_id, status=query.status)


def api_keys_page(conn: Connection, query: queries.ListApiKeys) -> dict:
    return _KEYS.page(conn, page=query.page, page_size=query.page_size,
                      items=lambda rows: [dto.api_key(row) for row in rows],
                      brand_id=query.brand_id)


def pending_invitations(conn: Connection, brand_id: str, now: datetime) -> list[dict]:
    rows = conn.execute(_PENDING, {"brand_id": brand_id, "now": now}).all()
    return [dto.invitation(row) for row in rows]
