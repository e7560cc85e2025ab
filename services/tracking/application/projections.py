"""The stats read model: daily counters per campaign and per partner on a campaign,
changed in the same transaction as the clicks and conversions they count (so stats are
never a scan of the raw tables, and never drift from them).

* clicks / valid_clicks: by the click's UTC day;
* conversions (attributed) / rejected: by the conversion's UTC day;
* revenue: attributed order amounts of that day, less what was refunded of them since
  (in the campaign's currency).
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from services.tracking.domain.attribution import ATTRIBUTED, REJECTED
from services.tracking.domain.clicks import Click
from services.tracking.domain.conversion import Conversion, Refund

StatsKey = tuple[str, str, date]  # (campaign_id, partner_id, UTC day)


@dataclasses.dataclass
class DailyTally:
    clicks: int = 0
    valid_clicks: int = 0
    conversions: int = 0
    rejected: int = 0
    revenue: Decimal = Decimal(0)

    def __iadd__(self, other: "DailyTally") -> "DailyTally":
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self


Tallies = dict[StatsKey, DailyTally]


def click_tallies(clicks: Iterable[Click]) -> Tallies:
    tallies: Tallies = defaultdict(DailyTally)
    for click in clicks:
        tally = tallies[(click.campaign_id, click.partner_id, click.occurred_at.date())]
        tally.clicks += 1
        tally.valid_clicks += click.attributable
    return dict(tallies)


def conversion_tallies(conversion: Conversion) -> Tallies:
    if conversion.campaign_id is None:
        return {}
    key = (conversion.campaign_id, conversion.partner_id, conversion.occurred_at.date())
    if conversion.status == ATTRIBUTED:
        return {key: DailyTally(conversions=1, revenue=conversion.amount.amount)}
    if conversion.status == REJECTED:
        return {key: DailyTally(rejected=1)}
    return {}


def refund_tallies(conversion: Conversion, refund: Refund) -> Tallies:
    if conversion.status != ATTRIBUTED:
        return {}
    key = (conversion.campaign_id, conversion.partner_id, conversion.occurred_at.date())
    return {key: DailyTally(revenue=-refund.amount.amount)}
