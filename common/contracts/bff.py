"""What the ``bff`` publishes: the referral clicks it redirected.

``GET /r/<code>`` answers at the edge: the BFF knows the code's landing page, mints the
click id and sends the visitor on. The clicks of concurrent redirects travel to tracking
as one ``clicks_captured`` message (persistent, to tracking's durable queue, confirmed
by the broker before any of those visitors is answered); tracking records each click
once (its id is the key) and screens it with its own state on arrival.

The visitor's link and the id the shop reports back are part of the contract too:
``with_click_id`` is the one way both the BFF and tracking's ``record_click(s)`` build it,
and ``on_site`` the one rule for a deep link (a page of the campaign's own site).
"""
from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from marshmallow import fields, validate

from common.contracts.base import EventContract
from common.validation import Id, IpAddress, TolerantSchema, UTCDateTimeField

SOURCE = "bff"
CLICK_PARAM = "click_id"
MAX_CLICKS_PER_MESSAGE = 1000
MAX_USER_AGENT = 1000
MAX_DEEP_LINK = 2000  # characters: what browsers and servers pass around safely


class CapturedClick(TolerantSchema):
    """One redirect: the id the visitor was given, the code it followed, when, from where."""

    click_id = Id(required=True)
    referral_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    ip = IpAddress(required=True)
    user_agent = fields.String(required=True, validate=validate.Length(max=MAX_USER_AGENT))
    occurred_at = UTCDateTimeField(required=True)
    # a deep link: the page of the campaign's site the visitor was sent to (absent: the
    # campaign's landing page). Optional, so version 1 still says it all.
    landing_url = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=MAX_DEEP_LINK))


class ClicksCaptured(TolerantSchema):
    clicks = fields.List(fields.Nested(CapturedClick), required=True,
                         validate=validate.Length(min=1, max=MAX_CLICKS_PER_MESSAGE))


CLICKS_CAPTURED = EventContract(
    SOURCE, "clicks_captured", 1, ClicksCaptured,
    "Referral clicks the BFF redirected, each visitor already sent on with its click id "
    "(concurrent redirects share one message). Tracking records each click once and "
    "screens it on arrival; a code it has not heard of yet is parked until its "
    "`partner_enrolled` arrives.")

CONTRACTS = (CLICKS_CAPTURED,)


def on_site(page: str, landing_url: str) -> bool:
    """Whether ``page`` is on the site of the campaign's ``landing_url``: the same scheme
    (or https for an http landing page), host and port, no user info. A link may send
    its visitor anywhere on the brand's own site and nowhere else (an open redirect)."""
    wanted, given = urlsplit(landing_url), urlsplit(page)
    if given.scheme == wanted.scheme:
        same_port = _port(given) == _port(wanted)
    else:  # the site's https for an http landing page; never down to http
        same_port = given.scheme == "https" and wanted.scheme == "http" and \
            _port(given) == 443
    same_host = (given.hostname or "").lower() == (wanted.hostname or "").lower()
    return bool(given.hostname) and same_host and same_port and given.username is None


def _port(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # not a port number
        return None


def with_click_id(url: str, click_id: str) -> str:
    """``url`` with ``click_id`` set as a query parameter, other parameters kept (an
    existing ``click_id`` replaced, the fragment kept last)."""
    head, tail = _click_template(url)
    return f"{head}{click_id}{tail}"


@functools.lru_cache(maxsize=4096)
def _click_template(url: str) -> tuple[str, str]:
    """Split once per landing page (the hot path adds thousands of ids to a handful of
    pages): what goes before and after the id."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != CLICK_PARAM]
    query.append((CLICK_PARAM, ""))
    head = urlunsplit(parts._replace(query=urlencode(query), fragment=""))
    return head, f"#{parts.fragment}" if parts.fragment else ""
