"""Campaigns commands: intents, as plain data already checked for shape by the schemas."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from common.seedwork.application.messages import Command
from common.seedwork.domain.money import Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegisterBrand(Command):
    name: str
    currency: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreateCampaign(Command):
    brand_id: str
    name: str
    currency: str
    budget: Money
    landing_url: str
    terms: dict[str, Any]
    description: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    eligibility: dict[str, list[str]] | None = None
    admission: str = "open"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignCommand(Command):
    """A change the owning brand makes to its campaign."""

    campaign_id: str
    acting_brand_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ActivateCampaign(CampaignCommand):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PauseCampaign(CampaignCommand):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndCampaign(CampaignCommand):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class CancelCampaign(CampaignCommand):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndExpiredCampaigns(Command):
    """Timer: end every ACTIVE or PAUSED campaign whose end date has passed."""

    limit: int = 100


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangeTerms(CampaignCommand):
    terms: dict[str, Any]
    effective_from: datetime | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangeAdmission(CampaignCommand):
    admission: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangeBudget(CampaignCommand):
    budget: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class BrandEnrollmentCommand(Command):
    """A decision the brand of the enrollment's campaign makes about it."""

    enrollment_id: str
    acting_brand_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerEnrollmentCommand(Command):
    """A step the enrollment's own partner takes."""

    enrollment_id: str
    acting_partner_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollPartner(Command):
    """Join an open campaign, or apply to one that reviews its partners (with a note)."""

    campaign_id: str
    partner_id: str
    note: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApproveEnrollment(BrandEnrollmentCommand):
    """The campaign's brand admits a partner who applied (or one it declined)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeclineEnrollment(BrandEnrollmentCommand):
    """The campaign's brand turns a partner's application down, saying why if it wishes."""

    reason: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawApplication(PartnerEnrollmentCommand):
    """The partner takes back an application its brand has not decided yet."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class LeaveCampaign(PartnerEnrollmentCommand):
    """The partner takes its link out of a campaign (it may join again)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SuspendEnrollment(BrandEnrollmentCommand):
    """The campaign's brand takes a partner's link out of its program, saying why if it
    wishes."""

    note: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReactivateEnrollment(BrandEnrollmentCommand):
    """The campaign's brand lifts its own suspension of a link."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SetPartnerCommission(BrandEnrollmentCommand):
    """The campaign's brand pays this partner its own figures from now on: ``rate``,
    ``min``, ``max`` (CPS) or ``amount`` (CPA); None: the campaign's again."""

    commission: Mapping[str, Any] | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangeReferralCode(Command):
    """The link's partner or its campaign's brand (exactly one of the two acts) gives it
    ``code`` (already lowercase and of the form ``common.validation`` requires)."""

    enrollment_id: str
    code: str
    acting_partner_id: str | None = None
    acting_brand_id: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteBudgetExhausted(Command):
    """commissions reports what is left of the budget cannot pay a commission."""

    campaign_id: str
    reserved: Money
    remaining: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteBudgetAvailable(Command):
    """commissions reports the budget can pay a commission again."""

    campaign_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApplyPartnerSnapshot(Command):
    """A partner event arrived: refresh the replica, make enrollments follow."""

    partner_id: str
    type: str
    country: str
    status: str
    revision: int
