"""What the campaigns use cases need from the outside world (implemented in infrastructure)."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from services.campaigns.domain.brand import Brand
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.enrollment import Enrollment
from services.campaigns.domain.partner import PartnerReplica


class DuplicateEnrollment(Exception):
    """``EnrollmentRepository.add``: the partner is already enrolled in the campaign."""


class ReferralCodeTaken(Exception):
    """``EnrollmentRepository.add`` or ``save``: another enrollment has this referral
    code."""


class BrandRepository(Protocol):
    def add(self, brand: Brand) -> None: ...
    def get(self, brand_id: str, *, for_update: bool = False) -> Brand | None: ...


class CampaignRepository(Protocol):
    def add(self, campaign: Campaign) -> None: ...
    def save(self, campaign: Campaign) -> None: ...
    def get(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None: ...
    def expired(self, now: datetime, limit: int) -> list[str]:
        """Ids of ACTIVE or PAUSED campaigns whose ``ends_at`` is at or before ``now``."""


class EnrollmentRepository(Protocol):
    def add(self, enrollment: Enrollment) -> None:
        """Raises DuplicateEnrollment or ReferralCodeTaken; the transaction stays usable."""

    def save(self, enrollment: Enrollment) -> None:
        """Raises ReferralCodeTaken (a code taken meanwhile); roll the transaction back."""

    def get(self, enrollment_id: str, *, for_update: bool = False) -> Enrollment | None: ...
    def holding_code(self, code: str) -> str | None:
        """The id of the enrollment whose code ``code`` is, if any."""

    def get_for(self, campaign_id: str, partner_id: str) -> Enrollment | None: ...
    def of_partner(self, partner_id: str) -> list[Enrollment]: ...
    def waiting_in(self, campaign_id: str) -> list[Enrollment]:
        """The campaign's PENDING applications, locked for update."""


class PartnerReplicaRepository(Protocol):
    def add(self, partner: PartnerReplica) -> None: ...
    def save(self, partner: PartnerReplica) -> None: ...
    def get(self, partner_id: str, *, for_update: bool = False) -> PartnerReplica | None: ...


class CampaignsUnitOfWork(UnitOfWork, Protocol):
    """What campaigns' use cases see of their unit of work."""

    brands: BrandRepository
    campaigns: CampaignRepository
    enrollments: EnrollmentRepository
    partners: PartnerReplicaRepository
