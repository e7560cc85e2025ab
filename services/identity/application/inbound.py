"""campaigns' application events and payouts' outcomes -> identity's notification
commands."""
from __future__ import annotations

from decimal import Decimal

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
    return commands.NotifyPayout(
        partner_id=data["partner_id"], amount=_money_text(data["amount"]),
        cycle=data["cycle"], paid=event.type == "payout_paid", reason=data.get("reason"))


def commission_changed(event: ReceivedEvent) -> commands.NotifyCommissionChanged:
    data = event.data
    return commands.NotifyCommissionChanged(
        partner_id=data["partner_id"], campaign_name=data["campaign_name"],
        figures=figures_text(data["commission"]))


def bonus_awarded(event: ReceivedEvent) -> commands.NotifyBonus:
    data = event.data
    return commands.NotifyBonus(partner_id=data["partner_id"],
                                amount=_money_text(data["amount"]),
                                campaign_name=data["campaign_name"], note=data["note"])


def commission_declined(event: ReceivedEvent) -> commands.NotifyCommissionDeclined:
    """What it owed (older events carry only its zero ``amount``: then no figure)."""
    data = event.data
    declined = data.get("declined_amount")
    return commands.NotifyCommissionDeclined(
        partner_id=data["partner_id"], amount=_money_text(declined) if declined else None,
        what=_paid_for(data), reason=data["reason"])


def _paid_for(data: dict) -> str:
    """What a commission paid for, as the partner reads it: "an order", "clicks" or
    "the bonus “Great launch video”"."""
    kind = data.get("kind") or ("conversion" if data.get("conversion_id") else "clicks")
    if kind == "bonus":
        return f"the bonus “{data.get('note') or ''}”"
    return "an order" if kind == "conversion" else "clicks"


def code_changed(event: ReceivedEvent) -> commands.NotifyCodeChanged | None:
    """``enrollment_code_changed`` when the brand chose the code; None when the partner
    did (its own doing is no news to it)."""
    data = event.data
    if data["changed_by"] != "brand":
        return None
    return commands.NotifyCodeChanged(
        partner_id=data["partner_id"], campaign_name=data["campaign_name"],
        tracking_url=data["tracking_url"], previous_code=data["previous_code"])


def figures_text(figures: dict | None) -> str | None:
    """A partner's own figures as it reads them: "15 % of each order, at least 1.00 USD,
    at most 50.00 USD" (CPS) or "12.00 USD per order" (CPA)."""
    if figures is None:
        return None
    if figures.get("amount") is not None:
        return f"{_money_text(figures['amount'])} per order"
    percent = (Decimal(figures["rate"]) * 100).normalize()
    bounds = [f"{word} {_money_text(figures[name])}"
              for word, name in (("at least", "min"), ("at most", "max")) if figures.get(name)]
    return ", ".join([f"{format(percent, 'f')} % of each order", *bounds])


def _money_text(value: dict) -> str:
    """``{"amount": "20.5", "currency": "USD"}`` as a partner reads it: "20.50 USD"."""
    money = Money(value["amount"], value["currency"])
    return f"{money.format_amount()} {money.currency}"


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
