"""A conversion's DTO from the aggregate the command just recorded (or found), in the
shape ``views.conversion`` reads from the tables: answering ``record_conversion`` needs
no second read of what it wrote (a test checks both shapes agree)."""
from __future__ import annotations

from common.seedwork.domain.clock import isoformat
from services.tracking.domain.conversion import Conversion


def conversion(found: Conversion) -> dict:
    return {
        "conversion_id": found.id, "brand_id": found.brand_id, "order_id": found.order_id,
        "amount": found.amount.to_dict(), "status": found.status, "reason": found.reason,
        "partner_id": found.partner_id, "campaign_id": found.campaign_id,
        "enrollment_id": found.enrollment_id, "referral_code": found.referral_code,
        "click_id": found.click_id, "terms_version": found.terms_version,
        "customer_ip": found.customer_ip, "customer_id": found.customer_id,
        "attribution": found.attribution, "occurred_at": isoformat(found.occurred_at),
        "recorded_at": isoformat(found.recorded_at),
        "reversed": found.total_reversed.to_dict(), "fully_reversed": found.fully_reversed,
        "refunds": [{"refund_id": refund.refund_id, "amount": refund.amount.to_dict(),
                     "recorded_at": isoformat(refund.recorded_at)}
                    for refund in sorted(found.refunds, key=lambda r: r.recorded_at)],
    }
