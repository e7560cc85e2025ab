"""The Enrollment aggregate: one partner in one campaign, with its referral code.

The referral code is what visitors carry back to the brand, so it must be short,
URL-safe and unguessable: drawn from ``secrets``, never derived from ids or a counter.
An enrollment follows its partner: it is suspended with the partner (its code stops
attributing) and restored when the partner is reactivated. Its brand may also suspend it
(a partner it no longer wants in the program) and reactivate it: the brand's suspension
outlasts the partner's reactivation, and the brand's reactivation of a partner still
suspended leaves it suspended for the partner's reason.

A campaign that admits partners after review (``Admission.REVIEW``) takes applications:
the enrollment starts PENDING, with its code drawn but never shown nor resolved, and
nothing downstream hears of it but the application. The brand approves it (ACTIVE, and
only then ``partner_enrolled``: the link works from that moment) or declines it
(DECLINED, with the reason the brand gives, if any; the brand may still approve it
later). The partner may withdraw an application the brand has not decided (WITHDRAWN)
and apply again later; a campaign that closes declines the applications still waiting,
saying so. A partner has one enrollment per campaign: applying again reopens it.

A partner may also leave a campaign it is in: its link is suspended for that reason
(``partner_left``: downstream, a suspension like any other -- the code stops
attributing), which only the partner lifts, by joining again (at once: the brand
admitted it before). Neither the brand's decisions nor the platform's touch it meanwhile.

The brand may pay an enrolled partner its own figures (``PartnerCommission``) in place
of the campaign's, from the moment it sets them, and take them back (the campaign's
again): ``enrollment_commission_changed`` says so downstream.

An enrolled link may be given a code of its own choosing (a vanity code: ``bea10``, the
same as a coupon the brand's shop takes) by its partner or by the campaign's brand: the
new code works from then on and the old one stops (``enrollment_code_changed``). Such a
code is public by intent, as a coupon is; only drawn codes are unguessable.
"""
from __future__ import annotations

import dataclasses
import enum
import secrets
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.rules import BusinessRule, check_rule
from common.seedwork.errors import Forbidden
from services.campaigns.domain import errors
from services.campaigns.domain.campaign import ACTIVE as CAMPAIGN_ACTIVE
from services.campaigns.domain.campaign import Admission, Campaign, CampaignState, StillOpen
from services.campaigns.domain.partner import PartnerReplica
from services.campaigns.domain.terms import PartnerCommission

# No 0/o, 1/l/i: a code read aloud or typed from a video is still right.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10  # 31**10 ~ 8e14 codes: guessing one that exists is hopeless
PARTNER_SUSPENDED = "partner_suspended"
PARTNER_REACTIVATED = "partner_reactivated"
BRAND_SUSPENDED = "brand_suspended"
BRAND_REACTIVATED = "brand_reactivated"
PARTNER_LEFT = "partner_left"
PARTNER_REJOINED = "partner_rejoined"


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _note(text: str | None) -> str | None:
    return (text or "").strip() or None


def tracking_url(public_base_url: str, code: str) -> str:
    return f"{public_base_url.rstrip('/')}/r/{code}"


class EnrollmentStatus(str, enum.Enum):
    PENDING = "PENDING"      # an application awaiting the brand's review
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DECLINED = "DECLINED"    # an application the brand turned down
    WITHDRAWN = "WITHDRAWN"  # an application its partner took back before the decision


APPLICATIONS = (EnrollmentStatus.PENDING, EnrollmentStatus.DECLINED,
                EnrollmentStatus.WITHDRAWN)
APPROVABLE = (EnrollmentStatus.PENDING, EnrollmentStatus.DECLINED)
ENROLLED = (EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED)
CAMPAIGN_CLOSED_REASON = "The campaign closed before your application was reviewed."


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentState(ValueObject):
    enrollment_id: str
    campaign_id: str
    brand_id: str
    partner_id: str
    referral_code: str
    tracking_url: str
    status: EnrollmentStatus
    enrolled_at: datetime
    revision: int
    applied_at: datetime | None = None  # an application's (a campaign that reviews)


# --- events -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentEvent(DomainEvent):
    enrollment: EnrollmentState


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerEnrolled(EnrollmentEvent):
    campaign: CampaignState


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentRequested(EnrollmentEvent):
    """A partner applied to a campaign that reviews its partners."""

    campaign_name: str
    note: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentDeclined(EnrollmentEvent):
    campaign_name: str
    reason: str | None = None  # what the brand tells the partner, if anything


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentWithdrawn(EnrollmentEvent):
    """The partner took its application back before the brand decided."""

    campaign_name: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentSuspended(EnrollmentEvent):
    reason: str
    campaign_name: str | None = None  # when the campaign was at hand (the brand's doing)
    note: str | None = None  # what the brand told the partner, if anything


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentReactivated(EnrollmentEvent):
    reason: str
    campaign_name: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentCommissionChanged(EnrollmentEvent):
    """The brand set this partner's own figures (None: the campaign's again), in force
    for what happens from ``effective_from`` on."""

    campaign_name: str
    commission: PartnerCommission | None
    effective_from: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnrollmentCodeChanged(EnrollmentEvent):
    """The link's code is now ``enrollment.referral_code``; ``previous_code`` stopped
    working. ``changed_by``: ``partner`` or ``brand``; ``reason``: a suspended link's."""

    campaign_name: str
    previous_code: str
    changed_by: str
    reason: str | None = None


# --- rules --------------------------------------------------------------------------------
@dataclasses.dataclass
class CampaignMustBeActive(BusinessRule):
    campaign: Campaign
    error = errors.CampaignNotActive

    def is_broken(self) -> bool:
        return self.campaign.status is not CAMPAIGN_ACTIVE

    def describe(self) -> str:
        return (f"The campaign is {self.campaign.status.value}: partners can only enroll "
                "in an ACTIVE campaign.")


@dataclasses.dataclass
class PartnerMustBeActive(BusinessRule):
    partner: PartnerReplica
    error = errors.PartnerNotActive

    def is_broken(self) -> bool:
        return not self.partner.is_active

    def describe(self) -> str:
        return f"The partner is {self.partner.status}: only an ACTIVE partner can enroll."


@dataclasses.dataclass
class PartnerMustBeEligible(BusinessRule):
    campaign: Campaign
    partner: PartnerReplica
    error = errors.PartnerNotEligible

    def is_broken(self) -> bool:
        return bool(self.campaign.eligibility.refusals(self.partner))

    def describe(self) -> str:
        return "The partner is not eligible: " + " ".join(
            self.campaign.eligibility.refusals(self.partner))


@dataclasses.dataclass
class StatusAllows(BusinessRule):
    enrollment: "Enrollment"
    allowed: tuple[EnrollmentStatus, ...]
    action: str
    error = errors.EnrollmentTransitionNotAllowed

    def is_broken(self) -> bool:
        return self.enrollment.status not in self.allowed

    def describe(self) -> str:
        return (f"The enrollment is {self.enrollment.status.value}: it cannot be "
                f"{self.action}.")


def _check_may_join(campaign: Campaign, partner: PartnerReplica) -> None:
    check_rule(CampaignMustBeActive(campaign))
    check_rule(PartnerMustBeActive(partner))
    check_rule(PartnerMustBeEligible(campaign, partner))


# --- aggregate ----------------------------------------------------------------------------
class Enrollment(AggregateRoot):
    def __init__(self, *, id: str, campaign_id: str, brand_id: str, partner_id: str,
                 referral_code: str, tracking_url: str, status: EnrollmentStatus,
                 suspension_reason: str | None, enrolled_at: datetime, updated_at: datetime,
                 revision: int = 0, applied_at: datetime | None = None,
                 application_note: str | None = None, decline_reason: str | None = None,
                 suspension_note: str | None = None,
                 commission: PartnerCommission | None = None,
                 commission_since: datetime | None = None):
        self.id = id
        self.campaign_id = campaign_id
        self.brand_id = brand_id
        self.partner_id = partner_id
        self.referral_code = referral_code
        self.tracking_url = tracking_url
        self.status = EnrollmentStatus(status)
        self.suspension_reason = suspension_reason
        self.enrolled_at = enrolled_at
        self.updated_at = updated_at
        self.revision = revision
        self.applied_at = applied_at
        self.application_note = application_note
        self.decline_reason = decline_reason
        self.suspension_note = suspension_note  # the brand's word with its suspension
        self.commission = commission  # the partner's own figures, set by the brand
        self.commission_since = commission_since  # when the figures now paid took effect

    @classmethod
    def enroll(cls, *, campaign: Campaign, partner: PartnerReplica, referral_code: str,
               public_base_url: str, now: datetime, note: str | None = None) -> "Enrollment":
        """Enrolled at once in an open campaign; an application (PENDING) where the brand
        reviews its partners. ``note`` is what the partner tells the brand (review only)."""
        _check_may_join(campaign, partner)
        enrollment = cls(
            id=new_id(), campaign_id=campaign.id, brand_id=campaign.brand_id,
            partner_id=partner.id, referral_code=referral_code,
            tracking_url=tracking_url(public_base_url, referral_code),
            status=EnrollmentStatus.PENDING, suspension_reason=None, enrolled_at=now,
            updated_at=now)
        enrollment._join(campaign, note, now)
        return enrollment

    def join_again(self, *, campaign: Campaign, partner: PartnerReplica, now: datetime,
                   note: str | None = None) -> None:
        """A withdrawn application made again, by the same rules as a first one: PENDING
        (or ACTIVE at once, if the campaign has opened meanwhile); a partner who left
        rejoins at once, by the same rules. Anything else is left as it is: a partner
        applies once, and a declined one waits for the brand."""
        if not self.partner_may_return:
            return
        _check_may_join(campaign, partner)
        if self.suspension_reason == PARTNER_LEFT:
            self.reactivate(lifting=PARTNER_LEFT, reason=PARTNER_REJOINED, now=now)
            return
        self.decline_reason = None
        self._join(campaign, note, now)

    @property
    def partner_may_return(self) -> bool:
        """Withdrawn, or left: the partner's own step back, which it may undo."""
        return (self.status is EnrollmentStatus.WITHDRAWN
                or self.suspension_reason == PARTNER_LEFT)

    def _join(self, campaign: Campaign, note: str | None, now: datetime) -> None:
        reviewed = campaign.admission is Admission.REVIEW
        self.status = EnrollmentStatus.PENDING if reviewed else EnrollmentStatus.ACTIVE
        self.applied_at = now if reviewed else None
        self.application_note = _note(note) if reviewed else None
        self.enrolled_at = self.updated_at = now
        self.revision += 1
        if reviewed:
            self.record(EnrollmentRequested(
                enrollment=self.state, campaign_name=campaign.name,
                note=self.application_note, occurred_at=now))
        else:
            self.record(PartnerEnrolled(enrollment=self.state,
                                        campaign=campaign.state(now), occurred_at=now))

    # the brand's review of an application ------------------------------------------------
    def approve(self, *, campaign: Campaign, partner: PartnerReplica | None,
                now: datetime) -> None:
        """PENDING or DECLINED -> ACTIVE: the partner is enrolled from now on, as in an
        open campaign (idempotent once enrolled). The campaign must be ACTIVE and the
        partner still ACTIVE."""
        if self.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED):
            return
        check_rule(StatusAllows(self, APPROVABLE, "approved (the partner withdrew it)"))
        check_rule(CampaignMustBeActive(campaign))
        if partner is None or not partner.is_active:
            raise errors.PartnerNotActive(
                "The partner is no longer ACTIVE: its application cannot be approved.",
                {"partner_id": ["Not ACTIVE."]})
        self.status, self.enrolled_at = EnrollmentStatus.ACTIVE, now
        self.revision += 1
        self.updated_at = now
        self.record(PartnerEnrolled(enrollment=self.state, campaign=campaign.state(now),
                                    occurred_at=now))

    def decline(self, campaign: Campaign, now: datetime, reason: str | None = None) -> None:
        """PENDING -> DECLINED, with what the brand tells the partner (idempotent: a
        second refusal changes nothing, not even the reason); an enrollment already
        ACTIVE is suspended, not declined."""
        if self.status is EnrollmentStatus.DECLINED:
            return
        check_rule(StatusAllows(self, (EnrollmentStatus.PENDING,),
                                "declined (suspend an enrolled partner's link instead)"))
        self.status, self.decline_reason = EnrollmentStatus.DECLINED, _note(reason)
        self._changed(now, EnrollmentDeclined, campaign_name=campaign.name,
                      reason=self.decline_reason)

    def close_with(self, campaign: Campaign, now: datetime) -> None:
        """The campaign closed (ENDED or CANCELLED): an application still waiting is
        declined, saying so; any other enrollment is left as it is."""
        if self.status is EnrollmentStatus.PENDING:
            self.decline(campaign, now, CAMPAIGN_CLOSED_REASON)

    # the partner's own decisions ----------------------------------------------------------
    def leave(self, partner_id: str, now: datetime) -> None:
        """The partner takes its link out of the campaign (idempotent): suspended for
        ``partner_left``. A link already suspended by the brand or with its partner earns
        nothing already and stays as it is: leaving it is refused, saying why."""
        self.ensure_partner(partner_id, "leave the campaign")
        if self.suspension_reason == PARTNER_LEFT:
            return
        check_rule(StatusAllows(self, (EnrollmentStatus.ACTIVE,),
                                "left (only an active link can be; a suspended one earns "
                                "nothing already)"))
        self.suspend(PARTNER_LEFT, now)

    def ensure_partner(self, partner_id: str, action: str) -> None:
        if partner_id != self.partner_id:
            raise Forbidden(f"Only the enrollment's partner may {action}.",
                            {"acting_partner_id": ["Not the enrollment's partner."]})

    def withdraw(self, partner_id: str, campaign: Campaign, now: datetime) -> None:
        """PENDING -> WITHDRAWN, by the applicant only (idempotent). A decided
        application stays decided (an enrolled partner leaves the campaign instead)."""
        self.ensure_partner(partner_id, "withdraw the application")
        if self.status is EnrollmentStatus.WITHDRAWN:
            return
        check_rule(StatusAllows(self, (EnrollmentStatus.PENDING,),
                                "withdrawn (only an application awaiting the brand can be)"))
        self.status = EnrollmentStatus.WITHDRAWN
        self._changed(now, EnrollmentWithdrawn, campaign_name=campaign.name)

    def follow(self, partner: PartnerReplica, now: datetime) -> None:
        """Mirror the partner: suspended with it, restored with it. An application waits
        (its approval checks the partner then)."""
        if self.status in APPLICATIONS:
            return
        if partner.is_suspended:
            self.suspend(PARTNER_SUSPENDED, now)
        elif partner.is_active:
            self.reactivate(lifting=PARTNER_SUSPENDED, reason=PARTNER_REACTIVATED, now=now)

    # the brand's own decisions ------------------------------------------------------------
    def ensure_owned_by(self, brand_id: str) -> None:
        if brand_id != self.brand_id:
            raise Forbidden("Only the brand of the enrollment's campaign may change it.",
                            {"acting_brand_id": ["Not the campaign's brand."]})

    def suspend_by_brand(self, campaign: Campaign, now: datetime,
                         note: str | None = None) -> None:
        """The brand takes the link out of its program (idempotent), telling the partner
        why if it wishes. A link already suspended with its partner stays so, now for
        the brand: the partner's reactivation will not restore it. An application is
        declined, not suspended."""
        check_rule(StatusAllows(self, (EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED),
                                "suspended before the brand approves it"))
        if self.status is EnrollmentStatus.SUSPENDED:
            if self.suspension_reason not in (BRAND_SUSPENDED, PARTNER_LEFT):
                self.suspension_reason, self.suspension_note = BRAND_SUSPENDED, _note(note)
                self.updated_at = now
            return  # a partner who left is out already, by its own choice
        self.suspension_note = _note(note)
        self.suspend(BRAND_SUSPENDED, now, campaign_name=campaign.name,
                     note=self.suspension_note)

    def reactivate_by_brand(self, partner: PartnerReplica | None, campaign: Campaign,
                            now: datetime) -> None:
        """Lift the brand's suspension (idempotent); a partner suspended meanwhile keeps
        the link suspended, for the partner's reason."""
        if self.suspension_reason != BRAND_SUSPENDED:
            return
        if partner is None or partner.is_suspended:
            self.suspension_reason, self.suspension_note = PARTNER_SUSPENDED, None
            self.updated_at = now
            return
        self.reactivate(lifting=BRAND_SUSPENDED, reason=BRAND_REACTIVATED, now=now,
                        campaign_name=campaign.name)

    def set_commission(self, commission: PartnerCommission | None, campaign: Campaign,
                       now: datetime) -> None:
        """Pay this partner ``commission`` in place of the campaign's figures (None: the
        campaign's again) for what happens from now on; the same figures again change
        nothing. Only an enrolled link of a campaign still open has figures of its own."""
        check_rule(StillOpen(campaign))
        check_rule(StatusAllows(self, ENROLLED,
                                "given its own commission before the brand approves it"))
        if commission == self.commission:
            return
        self.commission, self.commission_since = commission, now
        self._changed(now, EnrollmentCommissionChanged, campaign_name=campaign.name,
                      commission=commission, effective_from=now)

    def change_code(self, code: str, *, changed_by: str, campaign: Campaign,
                    now: datetime) -> None:
        """Give an enrolled link of a campaign still open the code ``code`` (already
        checked for its form and for being free); its link moves with it. The same code
        again changes nothing."""
        check_rule(StillOpen(campaign))
        check_rule(StatusAllows(self, ENROLLED, "given a code of its own before the brand "
                                                "approves it"))
        if code == self.referral_code:
            return
        previous, base = self.referral_code, self.tracking_url.rsplit("/r/", 1)[0]
        self.referral_code, self.tracking_url = code, tracking_url(base, code)
        self._changed(now, EnrollmentCodeChanged, campaign_name=campaign.name,
                      previous_code=previous, changed_by=changed_by,
                      reason=self.suspension_reason)

    def suspend(self, reason: str, now: datetime, **told) -> None:
        """``told``: the campaign's name and the brand's note, when the brand suspends."""
        if self.status is EnrollmentStatus.SUSPENDED:
            return
        self.status, self.suspension_reason = EnrollmentStatus.SUSPENDED, reason
        self._changed(now, EnrollmentSuspended, reason=reason, **told)

    def reactivate(self, *, lifting: str, reason: str, now: datetime, **told) -> None:
        """Lift a suspension made for ``lifting`` (and only that one), saying why."""
        if self.status is not EnrollmentStatus.SUSPENDED or self.suspension_reason != lifting:
            return
        self.status, self.suspension_reason = EnrollmentStatus.ACTIVE, None
        self.suspension_note = None
        self._changed(now, EnrollmentReactivated, reason=reason, **told)

    @property
    def state(self) -> EnrollmentState:
        return EnrollmentState(
            enrollment_id=self.id, campaign_id=self.campaign_id, brand_id=self.brand_id,
            partner_id=self.partner_id, referral_code=self.referral_code,
            tracking_url=self.tracking_url, status=self.status, enrolled_at=self.enrolled_at,
            revision=self.revision, applied_at=self.applied_at)

    def _changed(self, now: datetime, event_type: type[EnrollmentEvent], **extra) -> None:
        self.revision += 1
        self.updated_at = now
        self.record(event_type(enrollment=self.state, occurred_at=now, **extra))
