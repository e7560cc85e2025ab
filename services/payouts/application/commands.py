from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from common.seedwork.application.messages import Command


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunPayouts(Command):
    currency: str
    min_amount: Decimal
    cycle: str | None = None  # default: the current UTC date


@dataclasses.dataclass(frozen=True, kw_only=True)
class DrivePayoutSagas(Command):
    """Timer (and service start): run every active saga that is due -- new ones, ones
    waiting to repeat a step, ones a crashed process left behind once their lease ran out."""

    owner: str
    limit: int = 50
    lease_seconds: float = 30.0
    retry_delay_seconds: float = 5.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetryPayout(Command):
    payout_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class FollowPartner(Command):
    """A partners event: the partner's status and payout method at ``revision``."""

    partner_id: str
    status: str
    payout_method: dict[str, Any] | None
    revision: int
