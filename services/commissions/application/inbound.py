"""Received integration events -> commands. Each event arrives already checked and read
by its contract (``ReceivedEvent``, see ``common.nameko.events``): these only translate."""
from __future__ import annotations

from typing import Any

from common.seedwork.application.integration import ReceivedEvent
from common.seedwork.domain.money import Money
from services.commissions.application import commands
from services.commissions.domain.commission import Refund, Source
from services.commissions.domain.terms import Model, Terms


def _money(data: dict[str, Any] | None) -> Money | None:
    return Money.of(data["amount"], data["currency"]) if data else None


def terms(data: dict[str, Any]) -> Terms:
    return Terms(version=data["version"], model=Model(data["model"]), hold_days=data["hold_days"],
                 rate=data.get("rate"), min=_money(data.get("min")), max=_money(data.get("max")),
                 amount=_money(data.get("amount")), daily_click_cap=data.get("daily_click_cap"))


def conversion_attributed(event: ReceivedEvent) -> commands.RecordConversionCommission:
    data, event_id = event.data, event.event_id
    rules = terms(data["terms"])
    return commands.RecordConversionCommission(terms=rules, source=Source(
        partner_id=data["partner_id"], campaign_id=data["campaign_id"],
        brand_id=data["brand_id"], source_event_id=event_id, terms_version=rules.version,
        model=rules.model, occurred_at=data["occurred_at"], conversion_id=data["conversion_id"],
        order_amount=_money(data["order_amount"])))


def clicks_attributed(event: ReceivedEvent) -> commands.RecordClickCommission:
    data, event_id = event.data, event.event_id
    rules = terms(data["terms"])
    return commands.RecordClickCommission(terms=rules, source=Source(
        partner_id=data["partner_id"], campaign_id=data["campaign_id"],
        brand_id=data["brand_id"], source_event_id=event_id, terms_version=rules.version,
        model=rules.model, occurred_at=data["last_click_at"], clicks=data["valid_clicks"],
        click_day=data["day"]))


def conversion_reversed(event: ReceivedEvent) -> commands.ReverseConversionCommission:
    data = event.data
    return commands.ReverseConversionCommission(
        conversion_id=data["conversion_id"], partner_id=data["partner_id"],
        refund=Refund(refund_id=data["refund_id"], order_amount=_money(data["order_amount"]),
                      total_reversed=_money(data["total_reversed"]),
                      fully_reversed=data["fully_reversed"]))


def campaign_budget(event: ReceivedEvent) -> commands.FollowCampaignBudget:
    """Any campaign event carrying the campaign's snapshot (``campaign``): its budget and
    the terms in force, at its revision (``partner_enrolled`` carries one too)."""
    snapshot = event.data["campaign"]
    total = _money(snapshot["budget"])
    return commands.FollowCampaignBudget(
        campaign_id=snapshot["campaign_id"], brand_id=snapshot["brand_id"], total=total,
        smallest=terms(snapshot["terms"]).smallest_commission(total.currency),
        revision=snapshot["revision"])
