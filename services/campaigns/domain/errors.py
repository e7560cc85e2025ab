"""The campaigns domain's refusals, each a ``BusinessRuleViolation`` with its own ``code``.

The domain cannot import ``common.contracts`` (it carries marshmallow schemas) and no
caller may import this service, so the RPC boundary re-raises each refusal as the class
of ``common.contracts.campaigns`` with the same ``code`` (see application/errors.py).
Messages come from the rules that raise them.
"""
from __future__ import annotations

from common.seedwork.errors import BusinessRuleViolation


class CampaignTransitionNotAllowed(BusinessRuleViolation):
    code = "invalid_campaign_transition"


class CampaignClosed(BusinessRuleViolation):
    code = "campaign_closed"


class CampaignExpired(BusinessRuleViolation):
    code = "campaign_expired"


class CampaignNotActive(BusinessRuleViolation):
    code = "campaign_not_active"


class PartnerNotActive(BusinessRuleViolation):
    code = "partner_not_active"


class PartnerNotEligible(BusinessRuleViolation):
    code = "partner_not_eligible"


class InsufficientBudget(BusinessRuleViolation):
    """Activation: what is left cannot pay even the smallest commission."""

    code = "insufficient_budget"


class EnrollmentTransitionNotAllowed(BusinessRuleViolation):
    """An application decided twice the wrong way, or a link suspended before it exists."""

    code = "invalid_enrollment_transition"
