from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from common.seedwork.application.messages import Command


# --- endpoints (their owners, through the BFF) ----------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class CreateEndpoint(Command):
    owner_type: str
    owner_id: str
    url: str
    event_types: tuple[str, ...]
    description: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateEndpoint(Command):
    endpoint_id: str
    url: str | None = None
    event_types: tuple[str, ...] | None = None
    description: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class BindSubscribedTypes(Command):
    """Bind again every type some endpoint subscribes to (timer, start-up)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DisableEndpoint(Command):
    endpoint_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnableEndpoint(Command):
    endpoint_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RotateSecret(Command):
    endpoint_id: str
    grace_seconds: float | None = None   # None: the configured grace period


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeleteEndpoint(Command):
    endpoint_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SendTestEvent(Command):
    endpoint_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplayDelivery(Command):
    delivery_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplaySince(Command):
    endpoint_id: str
    since: datetime
    failed_only: bool = False


# --- events in ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class EnrollmentRef:
    enrollment_id: str
    partner_id: str
    brand_id: str
    campaign_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class FanOut(Command):
    """One accepted event: a delivery for every endpoint of its owners subscribed to it.

    Owners: ``brand_ids`` and ``partner_id`` named by the event; the brands
    ``brands_of_partner`` is enrolled with; the brands owning the commissions a payout
    pays -- named by ``commission_brands`` (commission id, brand id), or, for a payout
    held before payouts named them, found in the commission replica for
    ``commission_ids`` -- each then sees only its own commissions, and no payout total.
    ``data`` is what every recipient gets unless said otherwise. ``enrollment`` feeds the
    replica ``brands_of_partner`` reads."""

    event_id: str
    event_type: str
    occurred_at: datetime
    data: Mapping[str, Any]
    brand_ids: tuple[str, ...] = ()
    partner_id: str | None = None
    brands_of_partner: str | None = None
    commission_ids: tuple[str, ...] = ()
    commission_brands: tuple[tuple[str, str], ...] = ()
    enrollment: EnrollmentRef | None = None


# --- the delivery driver ----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class Deliver(Command):
    """One attempt of a delivery this runner leased."""

    delivery_id: str
    lease_owner: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PurgeDeliveries(Command):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResealSecrets(Command):
    pass
