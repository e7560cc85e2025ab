"""The payouts service's replica of a partner: only what paying it needs (status and
payout method), kept from the partners' events. Older revisions never overwrite newer."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from common.seedwork.domain.entity import AggregateRoot

REQUIRED_DETAILS = {"bank_transfer": ("account_holder", "iban"), "paypal": ("email",)}


def is_valid_payout_method(method: dict[str, Any] | None) -> bool:
    if not method:
        return False
    required = REQUIRED_DETAILS.get(method.get("type"))
    return required is not None and all(str(method.get(key) or "").strip() for key in required)


class Payee(AggregateRoot):
    def __init__(self, *, partner_id: str, status: str, payout_method: dict[str, Any] | None,
                 revision: int, updated_at: datetime):
        self.id = partner_id
        self.status = status
        self.payout_method = payout_method
        self.revision = revision
        self.updated_at = updated_at

    def follow(self, status: str, payout_method: dict[str, Any] | None, revision: int,
               now: datetime) -> bool:
        """Take a newer snapshot; False (nothing changes) for one not newer than ours."""
        if revision <= self.revision:
            return False
        self.status, self.payout_method, self.revision = status, payout_method, revision
        self.updated_at = now
        return True

    def why_not_payable(self) -> str | None:
        """None when the partner can be paid, else the reason it is skipped."""
        if self.status == "SUSPENDED":
            return "partner_suspended"
        if self.status != "ACTIVE":
            return "partner_not_active"
        if not is_valid_payout_method(self.payout_method):
            return "no_valid_payout_method"
        return None
