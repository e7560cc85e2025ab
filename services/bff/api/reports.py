"""Reports: a brand's figures over a period of its choosing, from the BFF's read model
(kept by tracking's ``stats_changed`` batches: seconds behind), no RPC.

Partner performance: each partner's clicks, valid clicks, conversions, rejected ones,
revenue and conversion rate over the period, in one campaign or all of the brand's --
what an affiliate manager ranks partners by each month, on screen or as CSV.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.bff import exports, ownership
from services.bff.application import queries
from services.bff.auth import ADMIN, BRAND
from services.bff.routing import route
from services.bff.schemas import reports as schemas

TAG = "reports"
DEFAULT_DAYS = 30

PERFORMANCE_COLUMNS = (
    ("partner_id", lambda r: r["partner_id"]),
    ("partner_name", lambda r: exports.text(r["name"])),
    ("currency", lambda r: r["currency"]),
    ("clicks", lambda r: r["clicks"]),
    ("valid_clicks", lambda r: r["valid_clicks"]),
    ("conversions", lambda r: r["conversions"]),
    ("rejected_conversions", lambda r: r["rejected_conversions"]),
    ("revenue", lambda r: r["revenue"]["amount"]),
    ("conversion_rate", lambda r: r["conversion_rate"]),
)


@route("GET", "/api/v1/brands/<brand_id>/reports/partners", roles=(ADMIN, BRAND),
       query=schemas.PartnerPerformanceQuery, response=schemas.PartnerPerformanceOut,
       dumped=True, tag=TAG,
       summary="Partner performance over a period (`from` included, `to` excluded, UTC "
               "days; default the last 30): each partner's clicks, conversions, revenue and "
               "conversion rate, per currency, ranked by conversions then clicks")
def partner_performance(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    query = _query(call.query, brand_id)
    return {**_said(query), **call.bus.query(query)}


@route("GET", "/api/v1/brands/<brand_id>/reports/partners/export", roles=(ADMIN, BRAND),
       query=schemas.PartnerPerformanceExportQuery, media_type=exports.CSV, tag=TAG,
       summary="Partner performance over a period, as CSV (every row)")
def export_partner_performance(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    query = _query(call.query, brand_id, page_size=None)
    report = call.bus.query(query)
    if report["total"] > exports.MAX_ROWS:
        exports.too_large(report["total"], "rows")
    today = datetime.now(UTC).date()
    return exports.csv_response(exports.csv_text(report["items"], PERFORMANCE_COLUMNS),
                                f"partners-{brand_id}-{query.first_day.isoformat()}", today)


def _query(filters: dict, brand_id: str, **paging) -> queries.PartnerPerformance:
    first, end = _period(filters.get("from"), filters.get("to"))
    paging = paging or {"page": filters["page"], "page_size": filters["page_size"]}
    return queries.PartnerPerformance(brand_id=brand_id, first_day=first,
                                      last_day=end - timedelta(days=1),
                                      campaign_id=filters.get("campaign_id"), **paging)


def _period(first: date | None, end: date | None) -> tuple[date, date]:
    """The days asked, or the last ``DEFAULT_DAYS`` (today included) where one is absent."""
    end = end or (first + timedelta(days=DEFAULT_DAYS) if first
                  else datetime.now(UTC).date() + timedelta(days=1))
    return first or end - timedelta(days=DEFAULT_DAYS), end


def _said(query: queries.PartnerPerformance) -> dict:
    return {"brand_id": query.brand_id, "from": query.first_day.isoformat(),
            "to": (query.last_day + timedelta(days=1)).isoformat(),
            "campaign_id": query.campaign_id}
