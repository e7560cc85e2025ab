from __future__ import annotations

import dataclasses
from typing import Any

from common.seedwork.application.messages import Command


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegisterPartner(Command):
    name: str
    email: str
    type: str
    country: str
    payout_method: dict[str, Any] | None = None
    partner_id: str | None = None  # chosen by the caller: registering it again is a replay


@dataclasses.dataclass(frozen=True, kw_only=True)
class VerifyPartner(Command):
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ActivatePartner(Command):
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SuspendPartner(Command):
    partner_id: str
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReactivatePartner(Command):
    partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangePayoutMethod(Command):
    partner_id: str
    payout_method: dict[str, Any]
