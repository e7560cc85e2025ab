"""Where a click sends the visitor: the campaign's landing page (or a deep link on the
same site) with ``click_id=<id>`` added, so the brand's site can report it back with
the order."""
from __future__ import annotations

from urllib.parse import urlsplit

from common.contracts import bff
from common.seedwork.errors import ValidationError

CLICK_PARAM = bff.CLICK_PARAM


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
    """``url`` with ``click_id`` set as a query parameter, other parameters kept: the
    platform's one link format (``common.contracts.bff``), which the BFF builds too."""
    return bff.with_click_id(url, click_id)
