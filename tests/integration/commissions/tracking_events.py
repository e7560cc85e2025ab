"""Contract-valid tracking events, published the way tracking's outbox relay does
(``tracking.events`` exchange, routing key = event type), for the commissions tests --
and the campaign events that tell commissions each campaign's budget."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kombu import Connection
from nameko.standalone.events import get_event_exchange

from common.contracts import campaigns, tracking
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import isoformat

BRAND = str(uuid.uuid4())
CAMPAIGN = str(uuid.uuid4())


def terms(model="CPS", rate="0.10", hold_days=0, amount=None, cap=None, version=1):
    return {"version": version, "model": model, "rate": rate if model == "CPS" else None,
            "min": None, "max": None,
            "amount": {"amount": amount, "currency": "USD"} if amount else None,
            "daily_click_cap": cap, "attribution_window_days": 30, "hold_days": hold_days,
            "effective_from": "2026-01-01T00:00:00Z"}


def conversion_attributed(partner_id, order="200.00", conversion_id=None, campaign_id=CAMPAIGN,
                          brand_id=BRAND, **terms_args):
    return {
        "conversion_id": conversion_id or str(uuid.uuid4()), "brand_id": brand_id,
        "campaign_id": campaign_id, "partner_id": partner_id,
        "enrollment_id": str(uuid.uuid4()), "referral_code": "ana-x1", "click_id": None,
        "order_id": f"order-{uuid.uuid4().hex[:8]}",
        "order_amount": {"amount": order, "currency": "USD"}, "terms_version": 1,
        "terms": terms(**terms_args), "occurred_at": isoformat(datetime.now(UTC)),
    }


def conversion_reversed(attributed, refunded, total=None, refund_id=None):
    total = total or refunded
    return {
        "conversion_id": attributed["conversion_id"], "brand_id": attributed["brand_id"],
        "campaign_id": attributed["campaign_id"], "partner_id": attributed["partner_id"],
        "order_id": attributed["order_id"], "refund_id": refund_id or f"rf-{uuid.uuid4().hex}",
        "order_amount": attributed["order_amount"],
        "reversed_amount": {"amount": refunded, "currency": "USD"},
        "total_reversed": {"amount": total, "currency": "USD"},
        "fully_reversed": total == attributed["order_amount"]["amount"],
        "occurred_at": isoformat(datetime.now(UTC)),
    }


def clicks_attributed(partner_id, valid, day="2026-11-29", amount="0.50", cap=10):
    return {
        "brand_id": BRAND, "campaign_id": CAMPAIGN, "partner_id": partner_id,
        "enrollment_id": str(uuid.uuid4()), "day": day, "valid_clicks": valid,
        "first_click_at": f"{day}T10:00:00Z", "last_click_at": f"{day}T11:00:00Z",
        "terms_version": 1, "terms": terms(model="CPC", amount=amount, cap=cap),
    }


CONTRACTS = {c.name: c for c in tracking.CONTRACTS}


def envelope(event_type: str, payload: dict) -> dict:
    contract = CONTRACTS[event_type]
    return IntegrationEvent.new(source="tracking", type=event_type, version=contract.version,
                                payload=contract.serialize(payload)).to_message()


def publish(config: dict, message: dict) -> dict:
    """Publish one envelope (again, for a redelivery) on tracking's exchange."""
    exchange = get_event_exchange("tracking", config)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            message, exchange=exchange, routing_key=message["type"], declare=[exchange])
    return message


def campaign_budget(config: dict, budget: str, campaign_id: str = CAMPAIGN,
                    revision: int = 1, **terms_args) -> dict:
    """Publish ``campaign_created`` (or a later snapshot, by ``revision``) of a campaign
    with this budget, as campaigns' relay does."""
    snapshot = {
        "campaign_id": campaign_id, "brand_id": BRAND, "name": "Campaign", "currency": "USD",
        "status": "ACTIVE", "starts_at": None, "ends_at": None,
        "landing_url": "https://shop.example.com", "budget": {"amount": budget,
                                                              "currency": "USD"},
        "eligibility": {"partner_types": [], "countries": []}, "terms": terms(**terms_args),
        "revision": revision}
    contract = campaigns.CAMPAIGN_CREATED
    message = IntegrationEvent.new(
        source="campaigns", type=contract.name, version=contract.version,
        payload=contract.serialize({"campaign": snapshot})).to_message()
    exchange = get_event_exchange("campaigns", config)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            message, exchange=exchange, routing_key=message["type"], declare=[exchange])
    return message
