"""Events (and shared errors) of the ``campaigns`` service.

Campaign events carry the campaign's whole snapshot with its ``revision``; consumers
upsert and ignore a revision not newer than the one they hold. ``terms`` in a snapshot
is the version *currently* in force; ``campaign_terms_changed`` carries the new version
(consumers keep every version: conversions use the one in force when they happened).
"""
from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.contracts.shared import CampaignSnapshot, CommissionFigures, TermsSnapshot, money
from common.seedwork.errors import BusinessRuleViolation
from common.validation import CurrencyCode, Id, TolerantSchema, UTCDateTimeField

SOURCE = "campaigns"
ENROLLED_STATUSES = ("ACTIVE", "SUSPENDED")   # an enrollment with a working code
APPLICATION_STATUSES = ("PENDING", "DECLINED", "WITHDRAWN")  # awaiting, refused, taken back
ENROLLMENT_STATUSES = ("PENDING", "ACTIVE", "SUSPENDED", "DECLINED", "WITHDRAWN")
ADMISSIONS = ("open", "review")  # partners join at once, or apply for the brand's review
APPLICATION_NOTE_MAX_LENGTH = 1000  # what a partner tells the brand when applying
BRAND_NOTE_MAX_LENGTH = 1000  # what a brand tells a partner it declines or suspends
CODE_CHANGED_BY = ("partner", "brand")  # who chose a link's own code


# The other refusals of the campaigns RPC API, typed for every caller that imports the
# contracts (a caller never imports the service itself). Each ``code`` is stable.
class PartnerNotActive(BusinessRuleViolation):
    """``enroll_partner``: the partner is PENDING or SUSPENDED."""

    code = "partner_not_active"
    default_message = "Only an ACTIVE partner can enroll."


class PartnerNotEligible(BusinessRuleViolation):
    """``enroll_partner``: the partner's type or country is not admitted."""

    code = "partner_not_eligible"
    default_message = "The partner does not meet the campaign's eligibility."


class CampaignNotActive(BusinessRuleViolation):
    """``enroll_partner``: the campaign is not ACTIVE."""

    code = "campaign_not_active"
    default_message = "Partners can only enroll in an ACTIVE campaign."


class CampaignTransitionNotAllowed(BusinessRuleViolation):
    """activate/pause/end/cancel: not allowed from the campaign's current status."""

    code = "invalid_campaign_transition"
    default_message = "The campaign cannot make this status change."


class CampaignClosed(BusinessRuleViolation):
    """``change_terms``: the campaign has ENDED or was CANCELLED."""

    code = "campaign_closed"
    default_message = "The campaign has ENDED or was CANCELLED: it cannot change."


class CampaignExpired(BusinessRuleViolation):
    """``activate_campaign``: its ``ends_at`` has passed."""

    code = "campaign_expired"
    default_message = "The campaign's end date has passed."


class InsufficientBudget(BusinessRuleViolation):
    """``activate_campaign``: the budget cannot pay even the smallest commission (too
    small, or used up as commissions last reported)."""

    code = "insufficient_budget"
    default_message = "The campaign's budget cannot cover a commission."


class EnrollmentTransitionNotAllowed(BusinessRuleViolation):
    """``decline_enrollment`` of a partner already enrolled (suspend it instead);
    ``suspend_enrollment`` of an application."""

    code = "invalid_enrollment_transition"
    default_message = "The enrollment cannot make this status change."


ERRORS = (PartnerNotActive, PartnerNotEligible, CampaignNotActive,
          CampaignTransitionNotAllowed, CampaignClosed, CampaignExpired, InsufficientBudget,
          EnrollmentTransitionNotAllowed)


class BrandRegistered(TolerantSchema):
    brand_id = Id(required=True)
    name = fields.String(required=True)
    currency = CurrencyCode(required=True)
    registered_at = UTCDateTimeField(required=True)


class CampaignEvent(TolerantSchema):
    campaign = fields.Nested(CampaignSnapshot, required=True)


class CampaignPaused(CampaignEvent):
    reason = fields.String(required=True)  # "manual" | "budget_exhausted"


class CampaignTermsChanged(CampaignEvent):
    new_terms = fields.Nested(TermsSnapshot, required=True)
    previous_version = fields.Integer(required=True)


class CampaignBudgetChanged(CampaignEvent):
    previous_budget = money(required=True)


class EnrollmentPayload(TolerantSchema):
    enrollment_id = Id(required=True)
    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    partner_id = Id(required=True)
    referral_code = fields.String(required=True)
    tracking_url = fields.Url(required=True, require_tld=False)
    status = fields.String(required=True, validate=validate.OneOf(ENROLLED_STATUSES))
    enrolled_at = UTCDateTimeField(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class PartnerEnrolled(EnrollmentPayload):
    """Everything a consumer needs to attribute and pay this partner: no RPC.
    ``applied_at``: set when the brand approved an application (optional in v1)."""

    applied_at = UTCDateTimeField(load_default=None, allow_none=True)
    campaign = fields.Nested(CampaignSnapshot, required=True)
    terms_history = fields.List(fields.Nested(TermsSnapshot), required=True)


class EnrollmentStatusChanged(EnrollmentPayload):
    """``campaign_name``: set when the brand suspended or reactivated the link (optional
    in v1); ``note``: what the brand told the partner with its suspension, if anything."""

    reason = fields.String(required=True)
    campaign_name = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True)


class EnrollmentCommissionChanged(EnrollmentPayload):
    """``commission``: the partner's own figures from ``effective_from`` on (None: the
    campaign's figures again)."""

    campaign_name = fields.String(required=True)
    commission = fields.Nested(CommissionFigures, required=True, allow_none=True)
    effective_from = UTCDateTimeField(required=True)


class EnrollmentCodeChanged(EnrollmentPayload):
    """``referral_code`` and ``tracking_url`` are the link's new ones; ``previous_code``
    stopped working. ``changed_by``: who chose the code, ``partner`` or ``brand``;
    ``reason``: a SUSPENDED link's suspension reason (null for an ACTIVE one)."""

    campaign_name = fields.String(required=True)
    previous_code = fields.String(required=True)
    changed_by = fields.String(required=True, validate=validate.OneOf(CODE_CHANGED_BY))
    reason = fields.String(required=True, allow_none=True)


class ApplicationPayload(TolerantSchema):
    """A partner's application to a campaign that reviews its partners: no code (it
    works only once approved, and ``partner_enrolled`` carries it then)."""

    enrollment_id = Id(required=True)
    campaign_id = Id(required=True)
    campaign_name = fields.String(required=True)
    brand_id = Id(required=True)
    partner_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(APPLICATION_STATUSES))
    applied_at = UTCDateTimeField(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class EnrollmentRequested(ApplicationPayload):
    note = fields.String(required=True, allow_none=True)  # what the partner tells the brand


class EnrollmentDeclined(ApplicationPayload):
    reason = fields.String(load_default=None, allow_none=True)  # the brand's word, if any


class BudgetExhaustedPayload(TolerantSchema):
    campaign_id = Id(required=True)
    brand_id = Id(required=True)
    budget = money(required=True)
    reserved = money(required=True)
    remaining = money(required=True)


BRAND_REGISTERED = EventContract(SOURCE, "brand_registered", 1, BrandRegistered,
                                 "A brand (advertiser) was registered with its currency.")
CAMPAIGN_CREATED = EventContract(SOURCE, "campaign_created", 1, CampaignEvent,
                                 "A campaign was created (DRAFT) with its first terms version.")
CAMPAIGN_ACTIVATED = EventContract(SOURCE, "campaign_activated", 1, CampaignEvent,
                                   "The campaign is ACTIVE: partners may enroll, "
                                   "clicks and conversions attribute.")
CAMPAIGN_PAUSED = EventContract(SOURCE, "campaign_paused", 1, CampaignPaused,
                                "The campaign is PAUSED (by its brand, or because its "
                                "budget ran out): nothing new attributes.")
CAMPAIGN_ENDED = EventContract(SOURCE, "campaign_ended", 1, CampaignEvent,
                               "The campaign ENDED for good.")
CAMPAIGN_CANCELLED = EventContract(SOURCE, "campaign_cancelled", 1, CampaignEvent,
                                   "The campaign was CANCELLED (from DRAFT or PAUSED).")
CAMPAIGN_TERMS_CHANGED = EventContract(SOURCE, "campaign_terms_changed", 1,
                                       CampaignTermsChanged,
                                       "A new terms version takes effect from "
                                       "`new_terms.effective_from`.")
CAMPAIGN_BUDGET_CHANGED = EventContract(SOURCE, "campaign_budget_changed", 1,
                                        CampaignBudgetChanged,
                                        "The brand changed the campaign's total budget "
                                        "(never below what is already reserved).")
PARTNER_ENROLLED = EventContract(SOURCE, "partner_enrolled", 1, PartnerEnrolled,
                                 "A partner enrolled in a campaign (at once, or when the "
                                 "brand approved its application) and got its referral code "
                                 "and tracking link; carries the campaign and every terms "
                                 "version.")
ENROLLMENT_REQUESTED = EventContract(SOURCE, "enrollment_requested", 1, EnrollmentRequested,
                                     "A partner applied to a campaign that reviews its "
                                     "partners; its brand approves (`partner_enrolled`) or "
                                     "declines it.")
ENROLLMENT_DECLINED = EventContract(SOURCE, "enrollment_declined", 1, EnrollmentDeclined,
                                    "The brand declined a partner's application: no link. "
                                    "`reason`: what the brand told the partner (optional "
                                    "in v1; the campaign's closing declines the applications "
                                    "still waiting, saying so).")
ENROLLMENT_WITHDRAWN = EventContract(SOURCE, "enrollment_withdrawn", 1, ApplicationPayload,
                                     "The partner withdrew an application its brand had not "
                                     "decided (it may apply again: `enrollment_requested`).")
ENROLLMENT_SUSPENDED = EventContract(SOURCE, "enrollment_suspended", 1, EnrollmentStatusChanged,
                                     "The enrollment is suspended (e.g. its partner was): "
                                     "its code stops attributing.")
ENROLLMENT_REACTIVATED = EventContract(SOURCE, "enrollment_reactivated", 1,
                                       EnrollmentStatusChanged,
                                       "The enrollment attributes again.")
ENROLLMENT_COMMISSION_CHANGED = EventContract(
    SOURCE, "enrollment_commission_changed", 1, EnrollmentCommissionChanged,
    "The brand pays this partner its own figures (`commission`: a rate for CPS, an "
    "amount for CPA) in place of the campaign's, for conversions and clicks "
    "from `effective_from` on; `commission` null: the campaign's figures again.")
ENROLLMENT_CODE_CHANGED = EventContract(
    SOURCE, "enrollment_code_changed", 1, EnrollmentCodeChanged,
    "The link has a code of its partner's or brand's choosing (`referral_code`, its "
    "`tracking_url`) from now on; `previous_code` no longer resolves.")
BUDGET_EXHAUSTED = EventContract(SOURCE, "budget_exhausted", 1, BudgetExhaustedPayload,
                                 "The remaining budget fell below the smallest possible "
                                 "commission; the campaign paused itself.")

CONTRACTS = (
    BRAND_REGISTERED, CAMPAIGN_CREATED, CAMPAIGN_ACTIVATED, CAMPAIGN_PAUSED, CAMPAIGN_ENDED,
    CAMPAIGN_CANCELLED, CAMPAIGN_TERMS_CHANGED, CAMPAIGN_BUDGET_CHANGED, PARTNER_ENROLLED,
    ENROLLMENT_REQUESTED, ENROLLMENT_DECLINED, ENROLLMENT_WITHDRAWN, ENROLLMENT_SUSPENDED,
    ENROLLMENT_REACTIVATED, ENROLLMENT_COMMISSION_CHANGED, ENROLLMENT_CODE_CHANGED,
    BUDGET_EXHAUSTED,
)
