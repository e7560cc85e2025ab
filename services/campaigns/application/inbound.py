"""Received integration events -> campaigns' commands. Each event arrives already checked
and read by its contract (``ReceivedEvent``, see ``common.nameko.events``): these only
translate."""
from __future__ import annotations

from common.seedwork.application.integration import ReceivedEvent
from services.campaigns.application import commands


def partner_snapshot(event: ReceivedEvent) -> commands.ApplyPartnerSnapshot:
    """Any partner event: the partner replica takes its snapshot (newer revisions win)."""
    snapshot = event.data
    return commands.ApplyPartnerSnapshot(
        partner_id=snapshot["partner_id"], type=snapshot["type"], country=snapshot["country"],
        status=snapshot["status"], revision=snapshot["revision"])
