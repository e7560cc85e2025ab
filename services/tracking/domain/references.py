"""What tracking knows of the other contexts: campaigns, enrollments (referral codes)
and partners -- local replicas kept from their events, never asked for by RPC.

A :class:`ReferralTarget` is everything behind one referral code; it answers the one
question the hot path asks: may traffic through this code earn something right now?
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.entity import ValueObject
from services.tracking.domain import reasons
from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.terms import NO_FIGURES, FiguresHistory, TermsHistory, TermsVersion

ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"


@dataclasses.dataclass(frozen=True)
class CampaignRef(ValueObject):
    campaign_id: str
    brand_id: str
    status: str
    currency: str
    landing_url: str
    starts_at: datetime | None
    ends_at: datetime | None

    def is_live_at(self, moment: datetime) -> bool:
        """ACTIVE now, and ``moment`` falls within the campaign's dates (when set)."""
        if self.status != ACTIVE:
            return False
        if self.starts_at is not None and moment < self.starts_at:
            return False
        return self.ends_at is None or moment < self.ends_at


@dataclasses.dataclass(frozen=True)
class EnrollmentRef(ValueObject):
    enrollment_id: str
    referral_code: str
    campaign_id: str
    brand_id: str
    partner_id: str
    status: str


@dataclasses.dataclass(frozen=True)
class PartnerRef(ValueObject):
    partner_id: str
    email: str
    status: str


@dataclasses.dataclass(frozen=True)
class ReferralTarget(ValueObject):
    """A referral code with its enrollment, campaign, partner (None until the partners
    replica has heard of it), the campaign's terms history and the figures its brand
    gave this partner, if any."""

    enrollment: EnrollmentRef
    campaign: CampaignRef
    partner: PartnerRef | None
    terms: TermsHistory = dataclasses.field(compare=False, hash=False)
    figures: FiguresHistory = dataclasses.field(default=NO_FIGURES, compare=False, hash=False)

    @property
    def brand_id(self) -> str:
        return self.enrollment.brand_id

    def is_partner(self, customer_id: str | None) -> bool:
        """The customer id names the partner itself (its id or its email)."""
        if not customer_id:
            return False
        names = {self.enrollment.partner_id.lower()}
        if self.partner is not None:
            names.add(self.partner.email.lower())
        return customer_id.strip().lower() in names

    def terms_at(self, moment: datetime) -> TermsVersion | None:
        """The campaign's terms in force at ``moment``, paying this partner's own figures
        when the brand gave it some by then."""
        return self.figures.priced(self.terms.in_force_at(moment), moment)

    def blocked_reason(self, moment: datetime, rules: FraudRules) -> str | None:
        """Why traffic through this code at ``moment`` cannot be credited, or None."""
        if rules.reject_suspended:
            if self.partner is not None and self.partner.status == SUSPENDED:
                return reasons.PARTNER_SUSPENDED
            if self.enrollment.status == SUSPENDED:
                return reasons.ENROLLMENT_SUSPENDED
        if not self.campaign.is_live_at(moment):
            return reasons.CAMPAIGN_INACTIVE
        return None
