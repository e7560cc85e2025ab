"""Which tracking domain events leave the service, and in what shape (common.contracts).

An UNATTRIBUTED conversion publishes nothing: nobody is owed anything for it.
"""
from __future__ import annotations

from common.contracts import tracking as contracts
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.clock import isoformat
from common.seedwork.domain.money import Money
from services.tracking.domain import billing, conversion, stats

TRANSLATOR = EventTranslator()


def _conversion_fields(state: conversion.ConversionState) -> dict:
    return {
        "conversion_id": state.conversion_id,
        "brand_id": state.brand_id,
        "campaign_id": state.campaign_id,
        "partner_id": state.partner_id,
        "order_id": state.order_id,
        "order_amount": state.amount.to_dict(),
        "occurred_at": isoformat(state.occurred_at),
    }


@TRANSLATOR.maps(conversion.ConversionAttributed, contracts.CONVERSION_ATTRIBUTED)
def attributed(event: conversion.ConversionAttributed) -> dict:
    state = event.conversion
    return {**_conversion_fields(state), "enrollment_id": state.enrollment_id,
            "referral_code": state.referral_code, "click_id": state.click_id,
            "attribution": state.attribution,
            "terms_version": state.terms_version, "terms": state.terms}


@TRANSLATOR.maps(conversion.ConversionRejected, contracts.CONVERSION_REJECTED)
def rejected(event: conversion.ConversionRejected) -> dict:
    return {**_conversion_fields(event.conversion), "reason": event.conversion.reason}


@TRANSLATOR.maps(conversion.ConversionReversed, contracts.CONVERSION_REVERSED)
def reversed_(event: conversion.ConversionReversed) -> dict:
    """``occurred_at`` is when the refund was recorded."""
    state, refund = event.conversion, event.refund
    return {**_conversion_fields(state), "refund_id": refund.refund_id,
            "reversed_amount": refund.amount.to_dict(),
            "total_reversed": state.total_reversed.to_dict(),
            "fully_reversed": state.total_reversed == state.amount,
            "occurred_at": isoformat(refund.recorded_at)}


@TRANSLATOR.maps(billing.ValidClicksBatched, contracts.CLICKS_ATTRIBUTED)
def clicks_attributed(event: billing.ValidClicksBatched) -> dict:
    batch = event.batch
    return {
        "batch_id": batch.id,
        "brand_id": batch.brand_id,
        "campaign_id": batch.campaign_id,
        "partner_id": batch.partner_id,
        "enrollment_id": batch.enrollment_id,
        "day": batch.day.isoformat(),
        "valid_clicks": batch.size,
        "first_click_at": isoformat(batch.first_click_at),
        "last_click_at": isoformat(batch.last_click_at),
        "terms_version": batch.terms.version,
        "terms": batch.terms.snapshot,
    }


@TRANSLATOR.maps(stats.StatsChanged, contracts.STATS_CHANGED)
def stats_changed(event: stats.StatsChanged) -> dict:
    return {"rows": [{
        "partner_id": row.partner_id, "campaign_id": row.campaign_id,
        "brand_id": row.brand_id, "day": row.day.isoformat(), "clicks": row.clicks,
        "valid_clicks": row.valid_clicks, "conversions": row.conversions,
        "rejected_conversions": row.rejected_conversions,
        "revenue": Money(row.revenue, row.currency).to_dict(), "revision": row.revision}
        for row in event.snapshot.rows]}
