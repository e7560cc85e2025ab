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
    (``bff.on_site``, the rule the BFF's edge applies too): anything else would make us
    an open redirect."""
    if not deep_link:
        return campaign_landing_url
    campaign = urlsplit(campaign_landing_url)
    if not bff.on_site(deep_link, campaign_landing_url):
        raise ValidationError("The landing URL is not on the campaign's site.", {
            "landing_url": [f"Must be on {campaign.scheme}://{campaign.netloc}."]})
    return deep_link


def with_click_id(url: str, click_id: str) -> str:
    """``url`` with ``click_id`` set as a query parameter, other parameters kept: the
    platform's one link format (``common.contracts.bff``), which the BFF builds too."""
    return bff.with_click_id(url, click_id)
