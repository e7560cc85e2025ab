"""Which webhooks domain events leave the service, and in what shape (common.contracts)."""
from __future__ import annotations

from common.contracts import webhooks as contracts
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.clock import isoformat
from services.webhooks.domain import endpoint as domain

TRANSLATOR = EventTranslator()


@TRANSLATOR.maps(domain.EndpointDisabled, contracts.ENDPOINT_DISABLED)
def endpoint_disabled(event: domain.EndpointDisabled) -> dict:
    state = event.endpoint
    return {
        "endpoint_id": state.endpoint_id, "owner_type": state.owner.type,
        "owner_id": state.owner.id, "url": state.url, "reason": event.reason,
        "consecutive_failures": state.consecutive_failures,
        "failing_since": isoformat(state.failing_since) if state.failing_since else None,
        "disabled_at": isoformat(state.disabled_at or event.occurred_at),
    }
