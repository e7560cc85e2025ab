"""Received integration events -> what leaves the platform as webhooks (the
anti-corruption layer between the platform's contracts and the public webhook payloads).

Each event arrives already checked and read by its contract (``ReceivedEvent``); each
function here picks the fields its webhook type documents (``domain/catalogue.py``) --
no more: internal fields (terms snapshots, e-mail addresses, payout methods, customer
data) never leave -- and names who owns the event. A unit test checks every function's
output against the catalogue, field by field.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from common.contracts import campaigns, commissions, partners, payouts, tracking
from common.contracts.base import EventContract
from common.seedwork.application.integration import ReceivedEvent
from common.seedwork.domain.clock import as_utc, isoformat
from common.seedwork.domain.money import Money
from services.webhooks.application.commands import EnrollmentRef, FanOut


def wire(value: Any) -> Any:
    """Contract-typed values back to JSON: money as strings, times with Z."""
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"} and isinstance(value["amount"], Decimal):
            return Money(value["amount"], value["currency"]).to_dict()
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(item) for item in value]
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _pick(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: wire(data.get(name)) for name in names}


def _occurred_at(event: ReceivedEvent) -> datetime:
    return as_utc(datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")))


def _fan_out(event: ReceivedEvent, event_type: str, data: dict[str, Any], **owners) -> FanOut:
    return FanOut(event_id=event.event_id, event_type=event_type,
                  occurred_at=_occurred_at(event), data=data, **owners)


# --- campaigns --------------------------------------------------------------------------------
def partner_enrolled(event: ReceivedEvent) -> FanOut:
    payload = event.data
    return _fan_out(
        event, "partner.enrolled",
        _pick(payload, "enrollment_id", "campaign_id", "brand_id", "partner_id",
              "referral_code", "tracking_url", "status", "enrolled_at"),
        brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"],
        enrollment=EnrollmentRef(payload["enrollment_id"], payload["partner_id"],
                                 payload["brand_id"], payload["campaign_id"]))


def application(event_type: str, *extra: str) -> Callable[[ReceivedEvent], FanOut]:
    """A partner's application to a campaign that reviews: to the brand and the partner
    (no enrollment for the replica: only ``partner_enrolled`` makes one)."""
    def translate(event: ReceivedEvent) -> FanOut:
        payload = event.data
        return _fan_out(
            event, event_type,
            _pick(payload, "enrollment_id", "campaign_id", "campaign_name", "brand_id",
                  "partner_id", "status", "applied_at", *extra),
            brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])

    return translate


def link_changed(event_type: str, *extra: str) -> Callable[[ReceivedEvent], FanOut]:
    """A partner's link suspended or working again (the brand's doing, its partner's
    suspension by the platform, or the partner leaving or rejoining): to the brand and
    the partner."""
    def translate(event: ReceivedEvent) -> FanOut:
        payload = event.data
        return _fan_out(
            event, event_type,
            _pick(payload, "enrollment_id", "campaign_id", "campaign_name", "brand_id",
                  "partner_id", "referral_code", "status", "reason", *extra),
            brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])

    return translate


def commission_changed(event: ReceivedEvent) -> FanOut:
    """The brand gave a partner its own figures, or took them back: to both."""
    payload = event.data
    return _fan_out(
        event, "link.commission_changed",
        _pick(payload, "enrollment_id", "campaign_id", "campaign_name", "brand_id",
              "partner_id", "referral_code", "status", "commission", "effective_from"),
        brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])


def code_changed(event: ReceivedEvent) -> FanOut:
    """A link took a code of its partner's or brand's choosing: to both."""
    payload = event.data
    return _fan_out(
        event, "link.code_changed",
        _pick(payload, "enrollment_id", "campaign_id", "campaign_name", "brand_id",
              "partner_id", "referral_code", "tracking_url", "previous_code", "changed_by",
              "status"),
        brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])


def campaign_changed(event_type: str) -> Callable[[ReceivedEvent], FanOut]:
    def translate(event: ReceivedEvent) -> FanOut:
        campaign = event.data["campaign"]
        data = _pick(campaign, "campaign_id", "brand_id", "name", "status", "currency",
                     "budget", "starts_at", "ends_at")
        if "reason" in event.data:
            data["reason"] = event.data["reason"]
        return _fan_out(event, event_type, data, brand_ids=(campaign["brand_id"],))

    return translate


def budget_exhausted(event: ReceivedEvent) -> FanOut:
    payload = event.data
    return _fan_out(event, "budget.exhausted",
                    _pick(payload, "campaign_id", "brand_id", "budget", "reserved",
                          "remaining"),
                    brand_ids=(payload["brand_id"],))


# --- partners ---------------------------------------------------------------------------------
def partner_suspended(event: ReceivedEvent) -> FanOut:
    payload = event.data
    data = {**_pick(payload, "partner_id", "name", "status"),
            "suspended_at": wire(_occurred_at(event))}
    return _fan_out(event, "partner.suspended", data, partner_id=payload["partner_id"],
                    brands_of_partner=payload["partner_id"])


# --- tracking ---------------------------------------------------------------------------------
_CONVERSION = ("conversion_id", "brand_id", "campaign_id", "partner_id", "order_id",
               "order_amount")


def conversion_attributed(event: ReceivedEvent) -> FanOut:
    payload = event.data
    return _fan_out(event, "conversion.attributed",
                    _pick(payload, *_CONVERSION, "enrollment_id", "referral_code",
                          "click_id", "attribution", "terms_version", "occurred_at"),
                    brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])


def conversion_rejected(event: ReceivedEvent) -> FanOut:
    """The brand's business (fraud rules): not sent to partners."""
    payload = event.data
    return _fan_out(event, "conversion.rejected",
                    _pick(payload, *_CONVERSION, "reason", "occurred_at"),
                    brand_ids=(payload["brand_id"],))


def conversion_reversed(event: ReceivedEvent) -> FanOut:
    payload = event.data
    return _fan_out(event, "conversion.reversed",
                    _pick(payload, *_CONVERSION, "refund_id", "reversed_amount",
                          "total_reversed", "fully_reversed", "occurred_at"),
                    brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])


# --- commissions ------------------------------------------------------------------------------
_COMMISSION = ("commission_id", "brand_id", "campaign_id", "partner_id", "conversion_id",
               "amount", "status", "terms_version", "hold_until", "occurred_at", "kind",
               "note")


def commission(event_type: str, *extra: str) -> Callable[[ReceivedEvent], FanOut]:
    def translate(event: ReceivedEvent) -> FanOut:
        payload = event.data
        return _fan_out(event, event_type, _pick(payload, *_COMMISSION, *extra),
                        brand_ids=(payload["brand_id"],), partner_id=payload["partner_id"])

    return translate


# --- payouts ----------------------------------------------------------------------------------
def payout(event_type: str, extra: str) -> Callable[[ReceivedEvent], FanOut]:
    def translate(event: ReceivedEvent) -> FanOut:
        payload = event.data
        named = payload.get("commission_brands")
        return _fan_out(event, event_type,
                        _pick(payload, "payout_id", "partner_id", "cycle", "amount",
                              "commission_ids", "occurred_at", extra),
                        partner_id=payload["partner_id"],
                        commission_ids=tuple(payload["commission_ids"]),
                        commission_brands=tuple((item["commission_id"], item["brand_id"])
                                                for item in named or ()))

    return translate


# What the service consumes: contract -> (handler method name, translation). service.py
# declares one reliable @event_handler per entry (a test keeps the two equal).
TRANSLATIONS: dict[EventContract, Callable[[ReceivedEvent], FanOut]] = {
    campaigns.PARTNER_ENROLLED: partner_enrolled,
    campaigns.ENROLLMENT_REQUESTED: application("partner.applied", "note"),
    campaigns.ENROLLMENT_DECLINED: application("partner.declined", "reason"),
    campaigns.ENROLLMENT_WITHDRAWN: application("partner.withdrew"),
    campaigns.ENROLLMENT_SUSPENDED: link_changed("link.suspended", "note"),
    campaigns.ENROLLMENT_REACTIVATED: link_changed("link.reactivated"),
    campaigns.ENROLLMENT_COMMISSION_CHANGED: commission_changed,
    campaigns.ENROLLMENT_CODE_CHANGED: code_changed,
    campaigns.CAMPAIGN_ACTIVATED: campaign_changed("campaign.activated"),
    campaigns.CAMPAIGN_PAUSED: campaign_changed("campaign.paused"),
    campaigns.CAMPAIGN_ENDED: campaign_changed("campaign.ended"),
    campaigns.CAMPAIGN_CANCELLED: campaign_changed("campaign.cancelled"),
    campaigns.BUDGET_EXHAUSTED: budget_exhausted,
    partners.PARTNER_SUSPENDED: partner_suspended,
    tracking.CONVERSION_ATTRIBUTED: conversion_attributed,
    tracking.CONVERSION_REJECTED: conversion_rejected,
    tracking.CONVERSION_REVERSED: conversion_reversed,
    commissions.COMMISSION_CREATED: commission("commission.created"),
    commissions.COMMISSION_APPROVED: commission("commission.approved"),
    commissions.COMMISSION_DECLINED: commission("commission.declined", "reason",
                                                "declined_amount"),
    commissions.COMMISSION_REVERSED: commission("commission.reversed", "reversed_amount",
                                                "clawback"),
    commissions.COMMISSION_PAID: commission("commission.paid", "payout_id"),
    payouts.PAYOUT_PAID: payout("payout.paid", "psp_reference"),
    payouts.PAYOUT_FAILED: payout("payout.failed", "reason"),
}


# Events that feed a replica (``fan_out`` keeps who enrolled where): received whether or
# not an endpoint subscribes to their type. No event of the conversion chain is among
# them: payout events name whose commission each one is (``commission_brands``).
FEEDS_REPLICA = frozenset({campaigns.PARTNER_ENROLLED})


def fan_out(contract: EventContract, event: ReceivedEvent) -> FanOut:
    return TRANSLATIONS[contract](event)


def fan_outs(contract: EventContract, event: ReceivedEvent) -> list[FanOut]:
    """Every webhook one event becomes. A commission created APPROVED (no hold) is
    also ``commission.approved`` -- commissions sends no ``commission_approved`` for it
    -- under an event id derived from the event's, so each webhook has its own."""
    made = [fan_out(contract, event)]
    if contract is commissions.COMMISSION_CREATED and event.data["status"] == "APPROVED":
        made.append(dataclasses.replace(
            commission("commission.approved")(event),
            event_id=derived_event_id(event.event_id, "commission.approved")))
    return made


def derived_event_id(event_id: str, webhook_type: str) -> str:
    return str(uuid.uuid5(uuid.UUID(event_id), webhook_type))
