"""Budget reservations: money a campaign has promised to one commission.

A reservation is keyed by the caller's ``reservation_id`` and keeps the outcome of the
call that made it, so a retried call gets the very same answer. It can be released in
parts (a partial refund) or entirely; each release is keyed by its ``release_id`` and
likewise remembered, so a retried release never gives the money back twice.
"""
from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject
from common.seedwork.domain.money import Money
from common.seedwork.domain.rules import BusinessRule, check_rule
from common.seedwork.errors import Conflict, ValidationError
from services.campaigns.domain.errors import ReleaseExceedsReservation

FULL_RELEASE = "*"  # the release key of "release whatever is left" without a release id


class ReservationStatus(str, enum.Enum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"  # nothing left on it


@dataclasses.dataclass(frozen=True, kw_only=True)
class Release(ValueObject):
    release_id: str
    amount: Money
    reserved_after: Money   # what is left on the reservation after this release
    remaining_after: Money  # the campaign's remaining budget after this release
    released_at: datetime


@dataclasses.dataclass
class ReleaseFitsReservation(BusinessRule):
    reservation: "Reservation"
    amount: Money
    error = ReleaseExceedsReservation

    def is_broken(self) -> bool:
        return self.amount > self.reservation.left

    def describe(self) -> str:
        return (f"Cannot release {self.amount}: only {self.reservation.left} is left on "
                f"reservation {self.reservation.id}.")


class Reservation(AggregateRoot):
    def __init__(self, *, id: str, campaign_id: str, amount: Money, released: Money,
                 remaining_after: Money, created_at: datetime, updated_at: datetime,
                 releases: dict[str, Release] | None = None):
        self.id = id
        self.campaign_id = campaign_id
        self.amount = amount
        self.released = released
        self.remaining_after = remaining_after
        self.created_at = created_at
        self.updated_at = updated_at
        self.releases = dict(releases or {})

    @property
    def left(self) -> Money:
        return self.amount - self.released

    @property
    def status(self) -> ReservationStatus:
        return ReservationStatus.RESERVED if self.left.is_positive else ReservationStatus.RELEASED

    def ensure_same_request(self, campaign_id: str, amount: Money) -> None:
        """A reservation id names one request: reusing it for another is a client bug."""
        if self.campaign_id != campaign_id or self.amount != amount:
            raise Conflict(
                f"Reservation {self.id} already exists for {self.amount} on campaign "
                f"{self.campaign_id}.", {"reservation_id": ["Already used for another request."]})

    def amount_to_release(self, amount: Money | None) -> Money:
        """``amount`` checked against what is left; ``None`` means all that is left."""
        if amount is None:
            return self.left
        if amount.currency != self.amount.currency:
            raise ValidationError("The release is in the wrong currency.", {
                "amount": [f"Must be in {self.amount.currency}, the reservation's currency."]})
        if not amount.is_positive:
            raise ValidationError("The release must be positive.",
                                  {"amount": ["Must be greater than 0."]})
        check_rule(ReleaseFitsReservation(self, amount))
        return amount

    def record_release(self, release_id: str, amount: Money, remaining_after: Money,
                       now: datetime) -> Release:
        self.released = self.released + amount
        self.updated_at = now
        release = Release(release_id=release_id, amount=amount, reserved_after=self.left,
                          remaining_after=remaining_after, released_at=now)
        self.releases[release_id] = release
        return release
