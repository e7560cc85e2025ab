"""What the ``bff`` publishes: the referral clicks it redirected.

``GET /r/<code>`` answers at the edge: the BFF knows the code's landing page, mints the
click id and sends the visitor on. The clicks of concurrent redirects travel to tracking
as one ``clicks_captured`` message (persistent, to tracking's durable queue, confirmed
by the broker before any of those visitors is answered); tracking records each click
once (its id is the key) and screens it with its own state on arrival.

The visitor's link and the id the shop reports back are part of the contract too:
``with_click_id`` is the one way both the BFF and tracking's ``record_click(s)`` build it.
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


class CapturedClick(TolerantSchema):
    """One redirect: the id the visitor was given, the code it followed, when, from where."""

    click_id = Id(required=True)
    referral_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    ip = IpAddress(required=True)
    user_agent = fields.String(required=True, validate=validate.Length(max=MAX_USER_AGENT))
    occurred_at = UTCDateTimeField(required=True)


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
