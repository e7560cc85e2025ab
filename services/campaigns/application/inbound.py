"""Received integration events -> campaigns' commands. Each event arrives already checked
and read by its contract (``ReceivedEvent``, see ``common.nameko.events``): these only
translate."""
from __future__ import annotations

from common.seedwork.application.integration import ReceivedEvent
from common.seedwork.domain.money import Money
from services.campaigns.application import commands


def partner_snapshot(event: ReceivedEvent) -> commands.ApplyPartnerSnapshot:
    """Any partner event: the partner replica takes its snapshot (newer revisions win)."""
    snapshot = event.data
    return commands.ApplyPartnerSnapshot(
        partner_id=snapshot["partner_id"], type=snapshot["type"], country=snapshot["country"],
        status=snapshot["status"], revision=snapshot["revision"])


def _money(data: dict) -> Money:
    return Money.of(data["amount"], data["currency"])


def budget_exhausted(event: ReceivedEvent) -> commands.NoteBudgetExhausted:
    data = event.data
    return commands.NoteBudgetExhausted(campaign_id=data["campaign_id"],
                                        reserved=_money(data["reserved"]),
                                        remaining=_money(data["remaining"]))


def budget_available(event: ReceivedEvent) -> commands.NoteBudgetAvailable:
    return commands.NoteBudgetAvailable(campaign_id=event.data["campaign_id"])
