"""Small RPC helpers shared by the tracking integration tests."""
from __future__ import annotations

from datetime import datetime

from common.seedwork.domain.clock import isoformat
from tests.support import wait_for

BROWSER = "Mozilla/5.0 (X11; Linux x86_64)"


def click(rpc, enrollment: dict, ip: str = "10.0.0.1", at: datetime | None = None,
          **extra) -> dict:
    payload = {"referral_code": enrollment["referral_code"], "ip": ip, "user_agent": BROWSER,
               **extra}
    if at is not None:
        payload["occurred_at"] = isoformat(at)
    return rpc.record_click(payload)


def convert(rpc, campaign, order_id: str, amount: str = "100.00", **extra) -> dict:
    payload = {"brand_id": campaign.brand_id, "order_id": order_id, "amount": amount,
               "currency": campaign.snapshot["currency"], **extra}
    if isinstance(payload.get("occurred_at"), datetime):
        payload["occurred_at"] = isoformat(payload["occurred_at"])
    return rpc.record_conversion(payload)


def published(probe, event_type: str, count: int = 1) -> list[dict]:
    """The probe's events of that type, once there are ``count`` of them."""
    return wait_for(lambda: len(probe.of_type(event_type)) >= count and
                    probe.of_type(event_type), message=f"{count} {event_type}")
