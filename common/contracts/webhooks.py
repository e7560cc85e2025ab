"""Events of the ``webhooks`` service: what happens to brands' and partners' endpoints.

The platform's business events leave it as signed webhooks (docs/webhooks.md); these
are the webhooks service's own integration events, for the portals and the operators.
"""
from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.validation import Id, TolerantSchema, UTCDateTimeField

SOURCE = "webhooks"
OWNER_TYPES = ("brand", "partner")
DISABLE_REASONS = ("failing", "gone", "manual")

# The webhook event types an endpoint subscribes to (docs/webhooks.md; the service's
# catalogue describes each one, and a test keeps both lists equal).
EVENT_TYPES = (
    "partner.applied", "partner.declined", "partner.withdrew", "partner.enrolled",
    "link.suspended", "link.reactivated", "link.commission_changed", "link.code_changed",
    "partner.suspended",
    "conversion.attributed", "conversion.rejected",
    "conversion.reversed", "commission.created", "commission.approved", "commission.declined",
    "commission.reversed", "commission.paid", "payout.paid", "payout.failed",
    "budget.exhausted", "campaign.activated", "campaign.paused", "campaign.ended",
    "campaign.cancelled")
TEST_EVENT_TYPE = "webhook.test"


class EndpointDisabledPayload(TolerantSchema):
    """``reason``: ``failing`` (every attempt failed for a whole retry schedule),
    ``gone`` (the receiver answered 410 Gone) or ``manual`` (its owner or an admin)."""

    endpoint_id = Id(required=True)
    owner_type = fields.String(required=True, validate=validate.OneOf(OWNER_TYPES))
    owner_id = Id(required=True)
    url = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(DISABLE_REASONS))
    consecutive_failures = fields.Integer(required=True, validate=validate.Range(min=0))
    failing_since = UTCDateTimeField(required=True, allow_none=True)
    disabled_at = UTCDateTimeField(required=True)


ENDPOINT_DISABLED = EventContract(
    SOURCE, "endpoint_disabled", 1, EndpointDisabledPayload,
    "A webhook endpoint stopped receiving deliveries: failing for a whole retry schedule, "
    "gone (410) or disabled by hand. Its owner is told (the portal shows it); new events "
    "are kept as skipped deliveries, replayable once it is enabled again.")

CONTRACTS = (ENDPOINT_DISABLED,)
