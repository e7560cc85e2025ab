"""campaigns' application events and payouts' outcomes -> identity's notification
commands."""
from __future__ import annotations

from common.seedwork.application.integration import ReceivedEvent
from common.seedwork.domain.money import Money
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


def payout_outcome(event: ReceivedEvent) -> commands.NotifyPayout:
    """``payout_paid`` or ``payout_failed`` (with the provider's reason)."""
    data = event.data
    amount = Money(data["amount"]["amount"], data["amount"]["currency"])
    return commands.NotifyPayout(
        partner_id=data["partner_id"], amount=f"{amount.format_amount()} {amount.currency}",
        cycle=data["cycle"], paid=event.type == "payout_paid", reason=data.get("reason"))


BRANDS_OWN = {"brand_suspended": True, "brand_reactivated": False}  # reason -> suspended


def link_changed(event: ReceivedEvent) -> commands.NotifyLinkChanged | None:
    """``enrollment_suspended`` / ``_reactivated`` when the brand did it; None when the
    platform suspended the partner (every link of it at once) or the partner left."""
    data = event.data
    if data["reason"] not in BRANDS_OWN:
        return None
    return commands.NotifyLinkChanged(
        partner_id=data["partner_id"], campaign_name=data.get("campaign_name"),
        suspended=BRANDS_OWN[data["reason"]], note=data.get("note"))
