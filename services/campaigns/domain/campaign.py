"""The Campaign aggregate: a brand's program, its versioned terms and its budget.

Lifecycle: DRAFT -> ACTIVE <-> PAUSED -> ENDED, and CANCELLED from DRAFT or PAUSED.
Only the owning brand changes a campaign. Every recorded change bumps ``revision`` and
its event carries the campaign's state at that revision, so consumers keep an exact
replica without asking.

The brand sets the budget here; commissions promise it, where they are decided (the
commissions service keeps what they owe per campaign, under its own lock, with no call
back here). When commissions reports that what is left cannot pay the smallest
commission, the campaign pauses itself and says so once (``budget_exhausted``); it can
be activated again once commissions reports room (a release, a bigger budget).
"""
from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from decimal import Decimal

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Money
from common.seedwork.domain.rules import BusinessRule, check_rule
from common.seedwork.errors import Forbidden, ValidationError
from services.campaigns.domain import errors
from services.campaigns.domain.brand import Brand
from services.campaigns.domain.partner import Eligibility
from services.campaigns.domain.terms import (
    PartnerCommission,
    Terms,
    TermsSpec,
    terms_problems,
    version_in_force,
)

MANUAL = "manual"
BUDGET_EXHAUSTED = "budget_exhausted"


class CampaignStatus(str, enum.Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"
    CANCELLED = "CANCELLED"


DRAFT, ACTIVE, PAUSED, ENDED, CANCELLED = CampaignStatus
CLOSED = (ENDED, CANCELLED)


class Admission(str, enum.Enum):
    """How partners join: at once (``open``), or by applying for the brand's review."""

    OPEN = "open"
    REVIEW = "review"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignDraft(ValueObject):
    """What a brand proposes when it creates a campaign (checked by ``Campaign.create``)."""

    name: str
    currency: str
    budget: Money
    landing_url: str
    terms: TermsSpec
    description: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    eligibility: Eligibility = Eligibility()
    admission: Admission = Admission.OPEN


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignState(ValueObject):
    """The campaign as a fact at one revision (what every campaign event carries)."""

    campaign_id: str
    brand_id: str
    name: str
    currency: str
    status: CampaignStatus
    starts_at: datetime | None
    ends_at: datetime | None
    landing_url: str
    budget: Money
    eligibility: Eligibility
    terms: Terms                     # the version in force when the state was taken
    terms_history: tuple[Terms, ...]
    revision: int


# --- events -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignEvent(DomainEvent):
    campaign: CampaignState


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignCreated(CampaignEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignActivated(CampaignEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignPaused(CampaignEvent):
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignEnded(CampaignEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignCancelled(CampaignEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignTermsChanged(CampaignEvent):
    new_terms: Terms
    previous_version: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignBudgetChanged(CampaignEvent):
    previous_budget: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignAdmissionChanged(DomainEvent):
    """Stays in the service: only its reads say how partners join (no replica needs it)."""

    campaign_id: str
    admission: "Admission"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignBudgetExhausted(DomainEvent):
    campaign_id: str
    brand_id: str
    budget: Money
    reserved: Money
    remaining: Money


# --- rules --------------------------------------------------------------------------------
@dataclasses.dataclass
class StatusAllows(BusinessRule):
    campaign: "Campaign"
    allowed: tuple[CampaignStatus, ...]
    action: str
    error = errors.CampaignTransitionNotAllowed

    def is_broken(self) -> bool:
        return self.campaign.status not in self.allowed

    def describe(self) -> str:
        allowed = " or ".join(status.value for status in self.allowed)
        return (f"Cannot {self.action} a {self.campaign.status.value} campaign "
                f"(it must be {allowed}).")


@dataclasses.dataclass
class StillOpen(BusinessRule):
    campaign: "Campaign"
    error = errors.CampaignClosed

    def is_broken(self) -> bool:
        return self.campaign.status in CLOSED

    def describe(self) -> str:
        return f"The campaign is {self.campaign.status.value}: it cannot change any more."


@dataclasses.dataclass
class NotExpired(BusinessRule):
    campaign: "Campaign"
    now: datetime
    message = "The campaign's end date has passed: it cannot be activated."
    error = errors.CampaignExpired

    def is_broken(self) -> bool:
        return self.campaign.ends_at is not None and self.campaign.ends_at <= self.now


@dataclasses.dataclass
class BudgetCoversACommission(BusinessRule):
    """Activation: the budget can pay a commission -- by its size, and by what commissions
    last reported (``budget_exhausted``)."""

    campaign: "Campaign"
    amount: Money
    error = errors.InsufficientBudget

    def is_broken(self) -> bool:
        return self.campaign.budget_exhausted or self.amount > self.campaign.budget

    def describe(self) -> str:
        if self.campaign.budget_exhausted:
            return (f"The campaign's budget of {self.campaign.budget} is used up: raise it "
                    "to activate the campaign.")
        return (f"A budget of {self.campaign.budget} cannot pay a commission of "
                f"{self.amount}. Raise the budget.")


# --- aggregate ----------------------------------------------------------------------------
class Campaign(AggregateRoot):
    def __init__(self, *, id: str, brand_id: str, name: str, description: str, currency: str,
                 budget: Money, starts_at: datetime | None,
                 ends_at: datetime | None, landing_url: str, eligibility: Eligibility,
                 terms_history: tuple[Terms, ...], status: CampaignStatus,
                 pause_reason: str | None, budget_exhausted: bool, created_at: datetime,
                 updated_at: datetime, revision: int = 0,
                 admission: Admission = Admission.OPEN):
        self.id = id
        self.brand_id = brand_id
        self.name = name
        self.description = description
        self.currency = currency
        self.budget = budget
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.landing_url = landing_url
        self.eligibility = eligibility
        self.admission = Admission(admission)
        self.terms_history = tuple(terms_history)
        self.status = CampaignStatus(status)
        self.pause_reason = pause_reason
        self.budget_exhausted = budget_exhausted
        self.created_at = created_at
        self.updated_at = updated_at
        self.revision = revision

    @classmethod
    def create(cls, brand: Brand, draft: CampaignDraft, now: datetime) -> "Campaign":
        problems = draft_problems(brand, draft, now)
        if problems:
            raise ValidationError("The campaign is invalid.", problems)
        terms = Terms.define(draft.terms, currency=draft.currency, version=1,
                             effective_from=now)
        campaign = cls(
            id=new_id(), brand_id=brand.id, name=draft.name.strip(),
            description=(draft.description or "").strip(), currency=draft.currency,
            budget=draft.budget,
            starts_at=draft.starts_at, ends_at=draft.ends_at, landing_url=draft.landing_url,
            eligibility=draft.eligibility, terms_history=(terms,), status=DRAFT,
            pause_reason=None, budget_exhausted=False, created_at=now, updated_at=now,
            admission=draft.admission)
        campaign._changed(now, CampaignCreated)
        return campaign

    # ownership ---------------------------------------------------------------------------
    def ensure_owned_by(self, brand_id: str) -> None:
        if brand_id != self.brand_id:
            raise Forbidden("Only the brand that owns a campaign may change it.",
                            {"acting_brand_id": ["Not the campaign's brand."]})

    # lifecycle ---------------------------------------------------------------------------
    def activate(self, now: datetime) -> None:
        if self.status is ACTIVE:
            return  # idempotent
        check_rule(StatusAllows(self, (DRAFT, PAUSED), "activate"))
        check_rule(NotExpired(self, now))
        check_rule(BudgetCoversACommission(self, self.smallest_commission(now)))
        self.status, self.pause_reason = ACTIVE, None
        self._changed(now, CampaignActivated)

    def pause(self, now: datetime, reason: str = MANUAL) -> None:
        if self.status is PAUSED:
            return
        check_rule(StatusAllows(self, (ACTIVE,), "pause"))
        self.status, self.pause_reason = PAUSED, reason
        self._changed(now, CampaignPaused, reason=reason)

    def end(self, now: datetime) -> None:
        if self.status is ENDED:
            return
        check_rule(StatusAllows(self, (ACTIVE, PAUSED), "end"))
        self.status, self.pause_reason = ENDED, None
        self._changed(now, CampaignEnded)

    def end_if_expired(self, now: datetime) -> bool:
        """End the campaign once its end date has passed (the expiry timer). Returns
        whether it ended now."""
        if self.status not in (ACTIVE, PAUSED) or self.ends_at is None or self.ends_at > now:
            return False
        self.end(now)
        return True

    def cancel(self, now: datetime) -> None:
        if self.status is CANCELLED:
            return
        check_rule(StatusAllows(self, (DRAFT, PAUSED), "cancel"))
        self.status, self.pause_reason = CANCELLED, None
        self._changed(now, CampaignCancelled)

    # terms -------------------------------------------------------------------------------
    def terms_in_force(self, at: datetime) -> Terms:
        return version_in_force(self.terms_history, at, lambda terms: terms.effective_from)

    def change_terms(self, spec: TermsSpec, effective_from: datetime | None,
                     now: datetime) -> Terms:
        """A DRAFT's terms are simply replaced (nothing was ever paid under them); an
        ACTIVE or PAUSED campaign gets a new version from ``effective_from`` (default:
        now, never in the past: commissions already computed must stay right)."""
        check_rule(StillOpen(self))
        latest = self.terms_history[-1]
        if self.status is DRAFT:
            version, start = 1, latest.effective_from
            problems = {}
        else:
            version, start = latest.version + 1, effective_from or now
            problems = _start_problems(start, latest, now)
        spec_problems = terms_problems(spec, self.currency)
        if spec_problems:
            problems["terms"] = spec_problems
        if problems:
            raise ValidationError("The terms are invalid.", problems)
        terms = Terms.define(spec, currency=self.currency, version=version,
                             effective_from=start)
        kept = self.terms_history[:-1] if self.status is DRAFT else self.terms_history
        self.terms_history = (*kept, terms)
        self._changed(now, CampaignTermsChanged, new_terms=terms,
                      previous_version=latest.version)
        return terms

    def partner_commission(self, *, rate: Decimal | None = None, min: Money | None = None,
                           max: Money | None = None,
                           amount: Money | None = None) -> PartnerCommission:
        """One partner's own figures, checked against the latest terms (the ones what
        happens from now on is paid by)."""
        return PartnerCommission.define(self.terms_history[-1], self.currency, rate=rate,
                                        min=min, max=max, amount=amount)

    # admission ---------------------------------------------------------------------------
    def change_admission(self, admission: Admission, now: datetime) -> None:
        """Open or review from now on. Applications already made wait for the brand's
        decision either way; nobody enrolled is touched."""
        check_rule(StillOpen(self))
        if admission is self.admission:
            return
        self.admission, self.updated_at = admission, now
        self.record(CampaignAdmissionChanged(campaign_id=self.id, admission=admission,
                                             occurred_at=now))

    # budget ------------------------------------------------------------------------------
    def change_budget(self, budget: Money, now: datetime) -> None:
        """A new total (a top-up, typically after the budget ran out). Lowering it below
        what commissions already owe stops new commissions, it takes nothing back.
        Reactivating a paused campaign stays the brand's call."""
        check_rule(StillOpen(self))
        problems = _budget_problems(budget, self.currency)
        if problems:
            raise ValidationError("The budget is invalid.", {"budget": problems})
        if budget == self.budget:
            return
        previous, self.budget = self.budget, budget
        if budget > previous:
            self.budget_exhausted = False  # commissions says again if it is still not enough
        self._changed(now, CampaignBudgetChanged, previous_budget=previous)

    def smallest_commission(self, at: datetime) -> Money:
        return self.terms_in_force(at).smallest_commission(self.currency)

    def budget_ran_out(self, *, reserved: Money, remaining: Money, now: datetime) -> None:
        """Commissions reports what is left cannot pay a commission: pause, say so once."""
        if self.budget_exhausted:
            return
        self.budget_exhausted = True
        self.updated_at = now
        if self.status is ACTIVE:
            self.pause(now, reason=BUDGET_EXHAUSTED)
        self.record(CampaignBudgetExhausted(
            campaign_id=self.id, brand_id=self.brand_id, budget=self.budget,
            reserved=reserved, remaining=remaining, occurred_at=now))

    def budget_has_room(self, now: datetime) -> None:
        """Commissions reports the budget can pay a commission again."""
        if self.budget_exhausted:
            self.budget_exhausted = False
            self.updated_at = now

    # state -------------------------------------------------------------------------------
    def state(self, at: datetime) -> CampaignState:
        return CampaignState(
            campaign_id=self.id, brand_id=self.brand_id, name=self.name,
            currency=self.currency, status=self.status, starts_at=self.starts_at,
            ends_at=self.ends_at, landing_url=self.landing_url, budget=self.budget,
            eligibility=self.eligibility, terms=self.terms_in_force(at),
            terms_history=self.terms_history, revision=self.revision)

    def _changed(self, now: datetime, event_type: type[CampaignEvent], **extra) -> None:
        self.revision += 1
        self.updated_at = now
        self.record(event_type(campaign=self.state(now), occurred_at=now, **extra))


# --- input checks that need the domain's knowledge ------------------------------------------
def draft_problems(brand: Brand, draft: CampaignDraft, now: datetime) -> dict:
    """Every problem of a proposed campaign, by field (terms problems under ``terms``)."""
    problems: dict = {}
    if draft.currency != brand.currency:
        problems["currency"] = [f"Must be {brand.currency}, the brand's currency."]
    budget_problems = _budget_problems(draft.budget, draft.currency)
    if budget_problems:
        problems["budget"] = budget_problems
    if draft.ends_at is not None:
        if draft.starts_at is not None and draft.ends_at <= draft.starts_at:
            problems["ends_at"] = ["Must be after starts_at."]
        elif draft.ends_at <= now:
            problems["ends_at"] = ["Must be in the future."]
    spec_problems = terms_problems(draft.terms, draft.currency)
    if spec_problems:
        problems["terms"] = spec_problems
    return problems


def _budget_problems(budget: Money, currency: str) -> list:
    if budget.currency != currency:
        return [f"Must be in {currency}, the campaign's currency."]
    if not budget.is_positive:
        return ["Must be greater than 0."]
    return []


def _start_problems(start: datetime, latest: Terms, now: datetime) -> dict:
    if start < now:
        return {"effective_from": ["Must not be in the past."]}
    if start <= latest.effective_from:
        return {"effective_from": [f"Must be after {latest.effective_from.isoformat()}, "
                                   f"when version {latest.version} starts."]}
    return {}


def _check_positive_amount(amount: Money, currency: str) -> None:
    if amount.currency != currency:
        raise ValidationError("The amount is in the wrong currency.",
                              {"amount": [f"Must be in {currency}, the campaign's currency."]})
    if not amount.is_positive:
        raise ValidationError("The amount must be positive.",
                              {"amount": ["Must be greater than 0."]})
