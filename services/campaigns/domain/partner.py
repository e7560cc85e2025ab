"""What campaigns knows of partners: a local replica kept from the partners' events.

Enrollment needs the partner's status, type and country on the spot; asking the
partners service synchronously would couple the two. The replica is upserted from each
event's snapshot and never rolled back by an older ``revision`` (events can arrive
late, twice or out of order).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject

ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerFacts(ValueObject):
    """The part of a partner snapshot campaigns cares about."""

    partner_id: str
    type: str
    country: str
    status: str
    revision: int


class PartnerReplica(AggregateRoot):
    def __init__(self, *, id: str, type: str, country: str, status: str, revision: int,
                 updated_at: datetime):
        self.id = id
        self.type = type
        self.country = country
        self.status = status
        self.revision = revision
        self.updated_at = updated_at

    @classmethod
    def from_facts(cls, facts: PartnerFacts, now: datetime) -> "PartnerReplica":
        return cls(id=facts.partner_id, type=facts.type, country=facts.country,
                   status=facts.status, revision=facts.revision, updated_at=now)

    def apply(self, facts: PartnerFacts, now: datetime) -> bool:
        """Take a newer snapshot; False (nothing changed) for one not newer than ours."""
        if facts.revision <= self.revision:
            return False
        self.type, self.country, self.status = facts.type, facts.country, facts.status
        self.revision = facts.revision
        self.updated_at = now
        return True

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def is_suspended(self) -> bool:
        return self.status == SUSPENDED


@dataclasses.dataclass(frozen=True)
class Eligibility(ValueObject):
    """Which partners a campaign admits. An empty list means every type / country."""

    partner_types: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    @classmethod
    def of(cls, partner_types=(), countries=()) -> "Eligibility":
        return cls(tuple(sorted(set(partner_types or ()))),
                   tuple(sorted({c.upper() for c in countries or ()})))

    def refusals(self, partner: PartnerReplica) -> list[str]:
        """Why ``partner`` is not admitted (empty when it is)."""
        reasons = []
        if self.partner_types and partner.type not in self.partner_types:
            reasons.append(f"Partner type {partner.type!r} is not among "
                           f"{', '.join(self.partner_types)}.")
        if self.countries and partner.country not in self.countries:
            reasons.append(f"Country {partner.country} is not among "
                           f"{', '.join(self.countries)}.")
        return reasons

    def to_dict(self) -> dict[str, list[str]]:
        return {"partner_types": list(self.partner_types), "countries": list(self.countries)}
