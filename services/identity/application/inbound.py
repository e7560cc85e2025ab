"""campaigns' application events -> identity's notification commands."""
from __future__ import annotations

from common.seedwork.application.integration import ReceivedEvent
from services.identity.application import commands


def application_made(event: ReceivedEvent) -> commands.NotifyApplication:
    data = event.data
    return commands.NotifyApplication(brand_id=data["brand_id"],
                                      campaign_id=data["campaign_id"],
                                      campaign_name=data["campaign_name"])


def application_decided(event: ReceivedEvent) -> commands.NotifyApplicationDecided | None:
    """``enrollment_declined``, or ``partner_enrolled`` of an approved application (it
    has ``applied_at``); None for an enrollment made at once."""
    data = event.data
    if event.type == "partner_enrolled":
        if data.get("applied_at") is None:
            return None
        return commands.NotifyApplicationDecided(
            partner_id=data["partner_id"], campaign_name=data["campaign"]["name"],
            approved=True)
    return commands.NotifyApplicationDecided(
        partner_id=data["partner_id"], campaign_name=data["campaign_name"], approved=False,
        reason=data.get("reason"))
