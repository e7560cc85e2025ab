"""Per-object authorization: a brand or partner reaches only what it owns.

Another owner's object answers exactly like a missing one (404, same body), so a
caller learns nothing about what exists. Admins reach everything.
"""
from __future__ import annotations

from typing import Any

from services.bff import errors
from services.bff.auth import ADMIN, BRAND, MEMBER, PARTNER, Principal


def _owned(principal: Principal, owner_role: str, owner_id: Any) -> None:
    """Admins pass; a caller of ``owner_role`` only when it is that owner; others never."""
    if principal.is_(ADMIN):
        return
    if not (principal.is_(owner_role) and principal.subject == owner_id):
        raise errors.not_found()


def partner(principal: Principal, partner_id: str) -> str:
    """The partner id the caller may act on: a partner only its own."""
    _owned(principal, PARTNER, partner_id)
    return partner_id


def brand(principal: Principal, brand_id: str) -> str:
    """The brand id the caller may act on: a brand only its own."""
    _owned(principal, BRAND, brand_id)
    return brand_id


def brand_manager(principal: Principal, brand_id: str) -> str:
    """The brand id whose users and API keys the caller manages: admins, the brand's own
    bearer token, its owners' sessions -- not its members (403), never an API key (the
    routes are keyless)."""
    brand(principal, brand_id)
    if principal.brand_role == MEMBER:
        raise errors.ApiError(403, "forbidden", "Only the brand's owners manage its users "
                              "and API keys.")
    return brand_id


def owned_by_brand(principal: Principal, record: dict[str, Any]) -> dict[str, Any]:
    """A record with a ``brand_id`` (campaign, commission...) the caller manages."""
    _owned(principal, BRAND, record.get("brand_id"))
    return record


def owned_by_partner(principal: Principal, record: dict[str, Any]) -> dict[str, Any]:
    """A record with a ``partner_id`` (payout...) only its partner and admins read."""
    _owned(principal, PARTNER, record.get("partner_id"))
    return record


def owned_by_brand_or_partner(principal: Principal, record: dict[str, Any]) -> dict[str, Any]:
    """A record both sides may read (a conversion, a commission): each only its own."""
    owner_role = PARTNER if principal.is_(PARTNER) else BRAND
    _owned(principal, owner_role, record.get(f"{owner_role}_id"))
    return record


def owned_by_its_owner(principal: Principal, record: dict[str, Any], *,
                       manage: bool = False) -> dict[str, Any]:
    """A record with ``owner_type``/``owner_id`` (a webhook endpoint or delivery): its
    owner and admins reach it. ``manage``: changing it is for a brand's owners, not its
    members (403), as for API keys."""
    _owned(principal, record.get("owner_type"), record.get("owner_id"))
    if manage and principal.brand_role == MEMBER:
        raise errors.ApiError(403, "forbidden", "Only the brand's owners manage its "
                              "webhook endpoints.")
    return record
