"""Deterministic identifiers.

A redelivered event must lead to the same commission and the same budget reservation,
so ids are derived (UUID5) from what caused them, never drawn at random:
the commission of a conversion from the conversion id, the commission of a click batch
from that batch's event id; the budget reservation id *is* the commission id.
"""
from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6b1f3c52-3f0e-5b6e-9a57-1c0f5d3c9a11")


def _derive(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def conversion_commission_id(conversion_id: str) -> str:
    return _derive("conversion", conversion_id)


def clicks_commission_id(batch_event_id: str) -> str:
    return _derive("clicks", batch_event_id)


def bonus_commission_id(brand_id: str, reference: str) -> str:
    """A brand's bonus, by the reference the brand gave it: asked twice, awarded once."""
    return _derive("bonus", brand_id, reference)


def clawback_id(commission_id: str, refund_id: str) -> str:
    return _derive("clawback", commission_id, refund_id)


def release_id(commission_id: str, cause: str) -> str:
    """Id of one budget release: campaigns applies each release id once."""
    return _derive("release", commission_id, cause)
