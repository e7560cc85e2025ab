"""Where a click sends the visitor: the campaign's landing page (or a deep link on the
same site) with ``click_id=<id>`` added, so the brand's site can report it back with
the order."""
from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from common.seedwork.errors import ValidationError

CLICK_PARAM = "click_id"


def destination(campaign_landing_url: str, deep_link: str | None) -> str:
    """The page to send the visitor to. A deep link must stay on the campaign's site
    (same scheme and host): anything else would make us an open redirect."""
    if not deep_link:
        return campaign_landing_url
    campaign, wanted = urlsplit(campaign_landing_url), urlsplit(deep_link)
    same_site = (wanted.scheme.lower(), wanted.netloc.lower()) == (
        campaign.scheme.lower(), campaign.netloc.lower())
    if not same_site:
        raise ValidationError("The landing URL is not on the campaign's site.", {
            "landing_url": [f"Must be on {campaign.scheme}://{campaign.netloc}."]})
    return deep_link


def with_click_id(url: str, click_id: str) -> str:
    """``url`` with ``click_id`` set as a query parameter, other parameters kept."""
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
