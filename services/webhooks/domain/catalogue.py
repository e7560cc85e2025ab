"""The webhook event types an endpoint can subscribe to: the platform's public contract
with brands' and partners' own systems (docs/webhooks.md is rendered from it).

Every delivery's body is ``{"type", "version", "timestamp", "event_id", "data"}``; each
type below lists exactly the fields of its ``data``, who may receive it, and where it
comes from. Ids are UUID strings, times UTC ISO 8601 with ``Z``, money
``{"amount": "12.50", "currency": "USD"}`` with the amount a decimal string.
"""
from __future__ import annotations

import dataclasses

BRAND = "brand"
PARTNER = "partner"
OWNER_TYPES = (BRAND, PARTNER)
BODY_VERSION = 1
TEST_EVENT = "webhook.test"


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    kind: str
    description: str


@dataclasses.dataclass(frozen=True)
class WebhookType:
    name: str
    description: str
    audiences: tuple[str, ...]
    source: str            # the integration event it is made from
    fields: tuple[Field, ...]
    also_from: tuple[str, ...] = ()  # other events it is made from, in some states

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)


def _f(name: str, kind: str, description: str) -> Field:
    return Field(name, kind, description)


MONEY = "money"
ID = "id"
ID_OR_NULL = "id or null"
TIME = "time"

_COMMISSION = (
    _f("commission_id", ID, "The commission."),
    _f("brand_id", ID, "The brand that owes it."),
    _f("campaign_id", ID, "Its campaign."),
    _f("partner_id", ID, "The partner who earns it."),
    _f("conversion_id", ID_OR_NULL, "The conversion it pays for (null for a batch of "
                                    "CPC clicks)."),
    _f("amount", MONEY, "What is owed now."),
    _f("status", "string", "PENDING, APPROVED, IN_PAYOUT, PAID, DECLINED or REVERSED."),
    _f("terms_version", "integer", "The campaign terms version it was priced with."),
    _f("hold_until", "time or null", "When it becomes payable on its own."),
    _f("occurred_at", TIME, "When this change happened."),
    _f("kind", "string", "What it pays for: conversion, clicks or bonus (the brand's own "
                         "award: no conversion, terms_version 0)."),
    _f("note", "string or null", "A bonus: what the brand said it is for."),
)
_CONVERSION = (
    _f("conversion_id", ID, "The conversion."),
    _f("brand_id", ID, "The brand that reported the order."),
    _f("campaign_id", ID, "The campaign it is attributed to."),
    _f("partner_id", ID, "The partner it is attributed to."),
    _f("order_id", "string", "The brand's order id."),
    _f("order_amount", MONEY, "The order's amount."),
)
_CAMPAIGN = (
    _f("campaign_id", ID, "The campaign."),
    _f("brand_id", ID, "Its brand."),
    _f("name", "string", "Its name."),
    _f("status", "string", "ACTIVE, PAUSED, ENDED or CANCELLED: its status now."),
    _f("currency", "string", "ISO 4217."),
    _f("budget", MONEY, "Its total budget."),
    _f("starts_at", "time or null", "When it starts."),
    _f("ends_at", "time or null", "When it ends."),
)
_PAYOUT = (
    _f("payout_id", ID, "The payout."),
    _f("partner_id", ID, "The partner paid."),
    _f("cycle", "string", "The payout cycle (e.g. 2026-12)."),
    _f("amount", "money or null", "The payout's total: to the partner's own endpoints "
                                  "only (null for a brand: it covers other brands' "
                                  "commissions too)."),
    _f("commission_ids", "list of ids", "The commissions it pays: all of them for the "
                                        "partner, the brand's own for a brand."),
    _f("occurred_at", TIME, "When it happened."),
)

_APPLICATION = (
    _f("enrollment_id", ID, "The application (it becomes the enrollment when approved)."),
    _f("campaign_id", ID, "The campaign."),
    _f("campaign_name", "string", "The campaign's name."),
    _f("brand_id", ID, "The campaign's brand."),
    _f("partner_id", ID, "The partner."),
    _f("status", "string", "PENDING, DECLINED or WITHDRAWN."),
    _f("applied_at", TIME, "When the partner applied."),
)

_LINK = (
    _f("enrollment_id", ID, "The enrollment."),
    _f("campaign_id", ID, "The campaign."),
    _f("campaign_name", "string or null", "The campaign's name (when the brand acted)."),
    _f("brand_id", ID, "The campaign's brand."),
    _f("partner_id", ID, "The partner."),
    _f("referral_code", "string", "The link's code."),
    _f("status", "string", "SUSPENDED or ACTIVE."),
    _f("reason", "string", "brand_suspended, partner_suspended or partner_left; "
                           "brand_reactivated, partner_reactivated or partner_rejoined."),
)

TYPES: tuple[WebhookType, ...] = (
    WebhookType("partner.applied", "A partner applied to one of the brand's campaigns "
                "that review their partners: approve or decline it.", (BRAND, PARTNER),
                "campaigns.enrollment_requested", (
                    *_APPLICATION,
                    _f("note", "string or null", "What the partner tells the brand."))),
    WebhookType("partner.declined", "The brand declined a partner's application (or the "
                "campaign closed before it was decided): no link.", (BRAND, PARTNER),
                "campaigns.enrollment_declined", (
                    *_APPLICATION,
                    _f("reason", "string or null", "What the brand told the partner."))),
    WebhookType("partner.withdrew", "A partner withdrew its application before the brand "
                "decided (it may apply again: partner.applied).", (BRAND, PARTNER),
                "campaigns.enrollment_withdrawn", _APPLICATION),
    WebhookType("partner.enrolled", "A partner enrolled in one of the brand's campaigns "
                "and got its referral code.", (BRAND, PARTNER), "campaigns.partner_enrolled", (
                    _f("enrollment_id", ID, "The enrollment."),
                    _f("campaign_id", ID, "The campaign."),
                    _f("brand_id", ID, "The campaign's brand."),
                    _f("partner_id", ID, "The partner."),
                    _f("referral_code", "string", "The partner's code for this campaign."),
                    _f("tracking_url", "string", "The partner's tracking link."),
                    _f("status", "string", "ACTIVE or SUSPENDED."),
                    _f("enrolled_at", TIME, "When it enrolled."))),
    WebhookType("link.suspended", "A partner's link in one of the brand's campaigns is "
                "suspended: its orders no longer earn (the brand suspended it, the "
                "platform suspended its partner, or the partner left the campaign).",
                (BRAND, PARTNER), "campaigns.enrollment_suspended", (
                    *_LINK,
                    _f("note", "string or null", "What the brand told the partner, when "
                                                 "the brand suspended it."))),
    WebhookType("link.reactivated", "A partner's suspended link works again (the brand "
                "lifted its suspension, the platform reactivated the partner, or the "
                "partner joined again).", (BRAND, PARTNER), "campaigns.enrollment_reactivated",
                _LINK),
    WebhookType("link.commission_changed", "The brand pays a partner its own figures in "
                "one of its campaigns, in place of the campaign's, for conversions from "
                "`effective_from` on (or the campaign's again: `commission` null).",
                (BRAND, PARTNER), "campaigns.enrollment_commission_changed", (
                    *_LINK[:-1],
                    _f("commission", "object or null",
                       "The partner's figures: `model` (the campaign's, CPS or CPA), "
                       "`rate`, `min`, `max` (CPS) or `amount` (CPA); null: the "
                       "campaign's."),
                    _f("effective_from", TIME, "From when conversions are paid so."))),
    WebhookType("link.code_changed", "A partner's link has a code of its partner's or its "
                "brand's choosing from now on; the previous code no longer works.",
                (BRAND, PARTNER), "campaigns.enrollment_code_changed", (
                    *_LINK[:-2],
                    _f("tracking_url", "string", "The link, with its new code."),
                    _f("previous_code", "string", "The code it had: it works no more."),
                    _f("changed_by", "string", "Who chose the code: partner or brand."),
                    _f("status", "string", "ACTIVE or SUSPENDED."))),
    WebhookType("partner.suspended", "The platform suspended a partner: its links stop "
                "attributing. Sent to every brand it is enrolled with.", (BRAND, PARTNER),
                "partners.partner_suspended", (
                    _f("partner_id", ID, "The partner."),
                    _f("name", "string", "Its name."),
                    _f("status", "string", "SUSPENDED."),
                    _f("suspended_at", TIME, "When."))),
    WebhookType("conversion.attributed", "An order was attributed to a partner.",
                (BRAND, PARTNER), "tracking.conversion_attributed", (
                    *_CONVERSION,
                    _f("enrollment_id", ID, "The partner's enrollment in the campaign."),
                    _f("referral_code", "string", "The code credited."),
                    _f("click_id", ID_OR_NULL, "The click credited, if any."),
                    _f("attribution", "string or null", "What credited it: click, code, or "
                       "customer (a referred customer's renewal under recurring terms); "
                       "null for orders recorded before it was said."),
                    _f("terms_version", "integer", "The terms version in force."),
                    _f("occurred_at", TIME, "When the order happened."))),
    WebhookType("conversion.rejected", "An order was refused by a fraud or status rule: "
                "no commission is owed.", (BRAND,), "tracking.conversion_rejected", (
                    _f("conversion_id", ID, "The conversion."),
                    _f("brand_id", ID, "The brand that reported the order."),
                    _f("campaign_id", ID_OR_NULL, "The campaign, if one was identified."),
                    _f("partner_id", ID_OR_NULL, "The partner, if one was identified."),
                    _f("order_id", "string", "The brand's order id."),
                    _f("order_amount", MONEY, "The order's amount."),
                    _f("reason", "string", "self_referral, click_flooding, too_fast, "
                                           "partner_suspended, enrollment_suspended or "
                                           "campaign_inactive."),
                    _f("occurred_at", TIME, "When the order happened."))),
    WebhookType("conversion.reversed", "An attributed order was refunded, fully or in "
                "part (one per refund).", (BRAND, PARTNER), "tracking.conversion_reversed", (
                    *_CONVERSION,
                    _f("refund_id", "string", "The refund's id."),
                    _f("reversed_amount", MONEY, "This refund."),
                    _f("total_reversed", MONEY, "Every refund of the order so far."),
                    _f("fully_reversed", "boolean", "The whole order is refunded."),
                    _f("occurred_at", TIME, "When the refund happened."))),
    WebhookType("commission.created", "A commission is owed (PENDING until its hold "
                "ends).", (BRAND, PARTNER), "commissions.commission_created", _COMMISSION),
    WebhookType("commission.approved", "A commission became payable (hold over, or the "
                "brand approved it), or was created payable (no hold: it follows its "
                "`commission.created`, whose status is APPROVED already).", (BRAND, PARTNER),
                "commissions.commission_approved", _COMMISSION,
                also_from=("commissions.commission_created",)),
    WebhookType("commission.declined", "The brand declined a commission.",
                (BRAND, PARTNER), "commissions.commission_declined",
                (*_COMMISSION, _f("reason", "string", "The brand's reason."),
                 _f("declined_amount", f"{MONEY} or null", "What it owed until declined "
                                                        "(`amount` is zero now); null from "
                                                        "events of before this field."))),
    WebhookType("commission.reversed", "A refund reduced or cancelled a commission, or "
                "booked a clawback if it was paid.", (BRAND, PARTNER),
                "commissions.commission_reversed", (
                    *_COMMISSION,
                    _f("reversed_amount", MONEY, "How much this refund took back."),
                    _f("clawback", "boolean", "It was already paid: netted in a later "
                                              "payout."))),
    WebhookType("commission.paid", "A commission was paid in a payout.", (BRAND, PARTNER),
                "commissions.commission_paid",
                (*_COMMISSION, _f("payout_id", ID, "The payout that paid it."))),
    WebhookType("payout.paid", "A partner was paid. Sent to the partner and to each "
                "brand whose commissions it pays.", (BRAND, PARTNER), "payouts.payout_paid",
                (*_PAYOUT, _f("psp_reference", "string", "The payment provider's "
                                                         "reference."))),
    WebhookType("payout.failed", "A payout failed and was undone (its commissions are "
                "payable again).", (BRAND, PARTNER), "payouts.payout_failed",
                (*_PAYOUT, _f("reason", "string", "Why it failed."))),
    WebhookType("budget.exhausted", "A campaign's remaining budget cannot pay another "
                "commission: it paused itself.", (BRAND,), "campaigns.budget_exhausted", (
                    _f("campaign_id", ID, "The campaign."),
                    _f("brand_id", ID, "Its brand."),
                    _f("budget", MONEY, "Its total budget."),
                    _f("reserved", MONEY, "What commissions hold."),
                    _f("remaining", MONEY, "What is left."))),
    WebhookType("campaign.activated", "A campaign is ACTIVE.", (BRAND,),
                "campaigns.campaign_activated", _CAMPAIGN),
    WebhookType("campaign.paused", "A campaign is PAUSED (by the brand, or because its "
                "budget ran out).", (BRAND,), "campaigns.campaign_paused",
                (*_CAMPAIGN, _f("reason", "string", "manual or budget_exhausted."))),
    WebhookType("campaign.ended", "A campaign ENDED.", (BRAND,), "campaigns.campaign_ended",
                _CAMPAIGN),
    WebhookType("campaign.cancelled", "A campaign was CANCELLED.", (BRAND,),
                "campaigns.campaign_cancelled", _CAMPAIGN),
)

TEST_TYPE = WebhookType(
    TEST_EVENT, "Sent on demand (\"send a test event\"), whatever the endpoint subscribes "
    "to: check the receiver and its signature verification.", OWNER_TYPES, "—", (
        _f("endpoint_id", ID, "The endpoint tested."),
        _f("message", "string", "A fixed text.")))

BY_NAME = {kind.name: kind for kind in (*TYPES, TEST_TYPE)}


def types_for(owner_type: str) -> tuple[WebhookType, ...]:
    """What an owner of this type may subscribe to."""
    return tuple(kind for kind in TYPES if owner_type in kind.audiences)


def unknown_for(owner_type: str, names) -> list[str]:
    allowed = {kind.name for kind in types_for(owner_type)}
    return [name for name in names if name not in allowed]
