"""Partners' names beside their ids in what a brand reads (its enrollments, conversions
and commissions, on screen and in CSV): one read of the BFF's read model per page, no
RPC. The read model holds partners from activation on, which every enrolled partner
has reached; one it has not heard of yet is named ``None``.

A name is a courtesy: when the read model's database does not answer, the page goes out
without names rather than not at all (logged)."""
from __future__ import annotations

import logging
from collections.abc import Callable

from common.seedwork.errors import ServiceUnavailable
from services.bff.application import queries

log = logging.getLogger(__name__)


def named(call, items: list[dict]) -> list[dict]:
    """``items`` each with ``partner_name`` beside its ``partner_id``."""
    names = _names(call, {item["partner_id"] for item in items if item.get("partner_id")})
    return [{**item, "partner_name": names.get(item.get("partner_id"))} for item in items]


def named_page(call, page: dict) -> dict:
    return {**page, "items": named(call, page["items"])}


def naming(call, list_page: Callable[[dict], dict]) -> Callable[[dict], dict]:
    """``list_page`` whose pages come named (for exports, page by page)."""
    return lambda filters: named_page(call, list_page(filters))


def _names(call, partner_ids: set[str]) -> dict[str, str]:
    if not partner_ids:
        return {}
    try:
        return call.bus.query(queries.PartnerNames(partner_ids=tuple(sorted(partner_ids))))
    except ServiceUnavailable:
        log.warning("partner names left out: the read model's database does not answer")
        return {}
