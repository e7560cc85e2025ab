"""The DTOs identity answers with, from an aggregate or a row alike (their attribute
names are the columns'). No DTO ever carries a hash, a digest or a secret."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from common.seedwork.application.read_side import time_text


def text(value: datetime | None) -> str | None:
    return time_text(value)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def account(obj) -> dict:
    return {"account_id": obj.id, "email": obj.email, "role": _plain(obj.role),
            "partner_id": obj.partner_id, "brand_id": obj.brand_id,
            "brand_role": _plain(obj.brand_role), "status": _plain(obj.status),
            "created_at": text(obj.created_at)}


def api_key(obj) -> dict:
    return {"api_key_id": obj.id, "brand_id": obj.brand_id, "name": obj.name,
            "prefix": obj.prefix, "scopes": list(obj.scopes), "created_by": obj.created_by,
            "created_at": text(obj.created_at), "last_used_at": text(obj.last_used_at),
            "revoked_at": text(obj.revoked_at),
            "status": "ACTIVE" if obj.revoked_at is None else "REVOKED"}


def invitation(obj) -> dict:
    return {"invitation_id": obj.id, "brand_id": obj.brand_id, "email": obj.email,
            "brand_role": _plain(obj.brand_role), "invited_by": obj.invited_by,
            "created_at": text(obj.created_at), "expires_at": text(obj.expires_at)}
