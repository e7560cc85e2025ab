"""Received integration events -> payouts' commands. Each event arrives already checked
and read by its contract (``ReceivedEvent``, see ``common.nameko.events``): these only
translate."""
from __future__ import annotations

from common.seedwork.application.integration import ReceivedEvent
from services.payouts.application import commands


def follow_partner(event: ReceivedEvent) -> commands.FollowPartner:
    """Any partner event: the payee replica takes its status and payout method."""
    snapshot = event.data
    return commands.FollowPartner(
        partner_id=snapshot["partner_id"], status=snapshot["status"],
        payout_method=snapshot["payout_method"], revision=snapshot["revision"])
