"""Tracking: referral redirects, brands' conversion postbacks and refunds, stats."""
from __future__ import annotations

import functools
import ipaddress
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from common.contracts.bff import MAX_DEEP_LINK, MAX_USER_AGENT, on_site, with_click_id
from common.seedwork.domain.clock import isoformat, utcnow
from common.seedwork.domain.ids import time_ordered_uuid
from services.bff import errors, exports, ownership, partner_ips, partner_names, responses
from services.bff.auth import ADMIN, BRAND, PARTNER
from services.bff.fanout import Fanout
from services.bff.jsonio import to_wire
from services.bff.routing import CONVERSIONS_WRITE, route
from services.bff.schemas import tracking as schemas
from services.bff.schemas.common import page_of

TAG = "tracking"
CUSTOMER_FIELDS = ("customer_ip", "customer_id")
REFERRAL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@route("GET", "/r/<code>", limit="redirect", query=schemas.RedirectQuery, status=302,
       html_errors=True, bad_path_is_not_found=True, lean=True, tag=TAG,
       summary="Follow a referral link: records the click, redirects to the landing page "
               "(or, with `to`, a page of the same site)")
def follow_referral_link(call, code):
    """Answered at the edge: the code's landing page from memory (``referrals``), the
    click id minted here, the click handed to tracking in a batch the broker confirmed
    before this answer (``clicks``) -- no round trip to tracking on the way. A lean route
    (``pipeline.prepare_lean``): the code is checked here, the path schema may not run."""
    if not REFERRAL_CODE.match(code):
        raise errors.not_found()  # a link that cannot exist is just a link that does not
    code = code.lower()  # every code is lowercase: /r/BEA10, typed from a video, is bea10
    edge = call.edge
    link = edge.links.lookup(code, lambda codes: call.rpc.tracking.resolve_referral_codes(codes))
    if link is None:
        raise errors.not_found()
    page = call.query.get("to")
    if page is not None:
        check_deep_link(page, link.landing_url)
    click_id = time_ordered_uuid()
    click = {"click_id": click_id, "referral_code": code, "ip": visitor_ip(call.client_ip),
             "user_agent": user_agent_of(call.request), "occurred_at": isoformat(utcnow())}
    if page is not None:
        click["landing_url"] = page  # tracking keeps the page a deep link sent it to
    edge.clicks.capture(click, call.request_id)
    return responses.Redirect(landing_uri(page or link.landing_url, click_id))


def check_deep_link(page: str, landing_url: str) -> None:
    """A deep link may send the visitor to any page of the campaign's own site: the
    landing page's scheme (or https for http), host and port. Anything else would make
    the link an open redirect to whatever site its sharer names: refused (422 on
    ``to``, nothing recorded)."""
    if len(page) > MAX_DEEP_LINK:  # what the clicks_captured contract carries
        raise errors.invalid({"to": [f"Longer than {MAX_DEEP_LINK} characters."]})
    if not on_site(page, landing_url):
        wanted = urlsplit(landing_url)
        raise errors.invalid({"to": [f"Must be a page of {wanted.scheme}://{wanted.netloc}."]})


def landing_uri(landing_url: str, click_id: str) -> str:
    """The ``Location``: the landing page with the click id (``with_click_id``), made a
    URI as werkzeug makes a ``Location`` -- once per landing page, around a stand-in id
    (an id's characters, hex digits and dashes, are the same in an IRI and a URI)."""
    before, after = _landing_uri_around_click_id(landing_url)
    if before is None:
        return responses.uri(with_click_id(landing_url, click_id))
    return f"{before}{click_id}{after}"


_STAND_IN_ID = "00000000-0000-7000-8000-5ae11d000000"


@functools.lru_cache(maxsize=4096)  # landing pages: one per campaign, a handful hot
def _landing_uri_around_click_id(landing_url: str) -> tuple[str | None, str | None]:
    text = responses.uri(with_click_id(landing_url, _STAND_IN_ID))
    if text.count(_STAND_IN_ID) != 1:  # the landing URL itself holds the stand-in
        return None, None
    before, _, after = text.partition(_STAND_IN_ID)
    return before, after


def visitor_ip(address: str) -> str:
    """The client's address as tracking stores it (canonical; an IPv4-mapped IPv6 address
    as IPv4). One that is not an address at all is refused, as tracking refused it."""
    canonical = _canonical_ip(address)
    if canonical is None:
        raise errors.invalid({"ip": ["Not a valid IP address."]})
    return canonical


@functools.lru_cache(maxsize=8192)  # a visitor clicks more than once; parsing costs more
def _canonical_ip(address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    return str(getattr(parsed, "ipv4_mapped", None) or parsed)


def user_agent_of(request) -> str:
    """The visitor's User-Agent as tracking stores it: bounded, and without NUL characters
    (PostgreSQL cannot store them: one would fail the whole batch of clicks with a 500)."""
    return (request.headers.get("User-Agent") or "").replace("\x00", "")[:MAX_USER_AGENT]


# --- brands' servers ----------------------------------------------------------------------
@route("POST", "/api/v1/conversions", roles=(BRAND,), limit="postback",
       scope=CONVERSIONS_WRITE,
       body=schemas.ConversionBody, response=schemas.ConversionOut, status=201, tag=TAG,
       summary="Report an order (server to server); repeating an order_id is safe")
def record_conversion(call):
    payload = {**call.body, "brand_id": call.principal.subject}
    return call.rpc.tracking.record_conversion(to_wire(payload))


@route("POST", "/api/v1/conversions/refunds", roles=(BRAND,), limit="postback",
       scope=CONVERSIONS_WRITE,
       body=schemas.RefundBody, response=schemas.ConversionOut, tag=TAG,
       summary="Refund an order, fully or partly: its commission is reversed")
def refund_conversion(call):
    payload = {**call.body, "brand_id": call.principal.subject}
    return call.rpc.tracking.reverse_conversion(to_wire(payload))


# --- reading --------------------------------------------------------------------------------
@route("GET", "/api/v1/conversions/<conversion_id>", roles=(ADMIN, BRAND, PARTNER),
       response=schemas.ConversionOut, tag=TAG, summary="A conversion (its brand's/partner's)")
def get_conversion(call, conversion_id):
    conversion = call.rpc.tracking.get_conversion(conversion_id)
    ownership.owned_by_brand_or_partner(call.principal, conversion)
    return for_audience(call, conversion)


@route("GET", "/api/v1/brands/<brand_id>/conversions", roles=(ADMIN, BRAND),
       query=schemas.ConversionsQuery, response=page_of(schemas.ConversionOut), tag=TAG,
       summary="A brand's conversions")
def list_brand_conversions(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    return partner_names.named_page(call, call.rpc.tracking.list_conversions(
        to_wire({**call.query, "brand_id": brand_id})))


@route("GET", "/api/v1/partners/<partner_id>/conversions", roles=(ADMIN, PARTNER),
       query=schemas.ConversionsQuery, response=page_of(schemas.ConversionOut), tag=TAG,
       summary="A partner's conversions (without customer data)")
def list_partner_conversions(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    page = call.rpc.tracking.list_conversions(to_wire({**call.query, "partner_id": partner_id}))
    return {**page, "items": [for_audience(call, item) for item in page["items"]]}


@route("GET", "/api/v1/brands/<brand_id>/conversions/export", roles=(ADMIN, BRAND),
       query=schemas.ConversionsExportQuery, media_type=exports.CSV, tag=TAG,
       summary="A brand's conversions as CSV (every match of the filters, up to 10,000)")
def export_brand_conversions(call, brand_id):
    brand_id = ownership.brand(call.principal, brand_id)
    return _export(call, {**call.query, "brand_id": brand_id}, exports.BRAND_CONVERSION_COLUMNS,
                   f"conversions-brand-{brand_id}", named=True)


@route("GET", "/api/v1/partners/<partner_id>/conversions/export", roles=(ADMIN, PARTNER),
       query=schemas.ConversionsExportQuery, media_type=exports.CSV, tag=TAG,
       summary="A partner's conversions as CSV (without customer data; every match of "
               "the filters, up to 10,000)")
def export_partner_conversions(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    return _export(call, {**call.query, "partner_id": partner_id},
                   exports.PARTNER_CONVERSION_COLUMNS, f"conversions-partner-{partner_id}")


def _export(call, filters: dict, columns, name: str, *, named: bool = False):
    """``named``: a brand's export, its partners named page by page (partner_names.py)."""
    list_page = call.rpc.tracking.list_conversions
    if named:
        list_page = partner_names.naming(call, list_page)
    return exports.export(list_page, filters, "conversions", columns, name, utcnow().date())


def for_audience(call, conversion: dict) -> dict:
    """Customers' IPs and ids are the brand's data: partners never see them."""
    if call.principal.is_(PARTNER):
        return {k: v for k, v in conversion.items() if k not in CUSTOMER_FIELDS}
    return conversion


@route("GET", "/api/v1/campaigns/<campaign_id>/stats", roles=(ADMIN, BRAND),
       query=schemas.StatsQuery, response=schemas.CampaignStatsOut, tag=TAG,
       summary="Daily clicks, valid clicks, conversions, revenue and conversion rate")
def campaign_stats(call, campaign_id):
    calls = Fanout()
    calls.start("campaign", call.rpc.campaigns.get_campaign.call_async, campaign_id)
    calls.start("stats", call.rpc.tracking.campaign_stats.call_async,
                {"campaign_id": campaign_id, **days(call.query, call.settings)})
    ownership.owned_by_brand(call.principal, calls.result("campaign"))
    return calls.result("stats")


@route("GET", "/api/v1/partners/<partner_id>/stats", roles=(ADMIN, PARTNER),
       query=schemas.StatsQuery, response=schemas.PartnerStatsOut, tag=TAG,
       summary="A partner's daily traffic and conversions, per campaign")
def partner_stats(call, partner_id):
    partner_id = ownership.partner(call.principal, partner_id)
    if call.principal.is_(PARTNER):
        partner_ips.report(call, partner_id)
    return call.rpc.tracking.partner_stats(
        {"partner_id": partner_id, **days(call.query, call.settings)})


def days(query: dict, settings) -> dict[str, str]:
    """The requested UTC days, by default the last ``dashboard_stats_days`` to today."""
    last = query.get("to") or datetime.now(UTC).date()
    first = query.get("from") or last - timedelta(days=settings.dashboard_stats_days - 1)
    return {"from": first.isoformat(), "to": last.isoformat()}
