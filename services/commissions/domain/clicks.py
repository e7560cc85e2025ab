"""How many clicks a partner has been paid for on a campaign during one UTC day, so the
CPC daily cap holds across every click batch of that day."""
from __future__ import annotations

from datetime import date, datetime

from common.seedwork.domain.entity import AggregateRoot
from services.commissions.domain.terms import Terms


def allowance_id(partner_id: str, campaign_id: str, day: date) -> str:
    return f"{partner_id}:{campaign_id}:{day.isoformat()}"


class DailyClickAllowance(AggregateRoot):
    def __init__(self, *, partner_id: str, campaign_id: str, day: date, paid_clicks: int,
                 updated_at: datetime):
        self.id = allowance_id(partner_id, campaign_id, day)
        self.partner_id = partner_id
        self.campaign_id = campaign_id
        self.day = day
        self.paid_clicks = paid_clicks
        self.updated_at = updated_at

    def grant(self, terms: Terms, valid_clicks: int, now: datetime) -> int:
        """Pay as many of ``valid_clicks`` as today's cap still allows; returns that number."""
        billable = terms.billable_clicks(valid_clicks, self.paid_clicks)
        self.paid_clicks += billable
        self.updated_at = now
        return billable
