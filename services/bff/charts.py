"""The partner portal's chart: clicks, conversions and earnings per day, one answer.

Traffic comes from tracking's ``partner_stats`` (per campaign, every day of the window),
earnings from the partner's newest commissions (commissions has no daily query yet): the
``amount`` each still owes, on the day its conversion occurred, per currency, leaving out
the refused ones (REJECTED, DECLINED). The dashboard reads one page of commissions
(``EARNINGS_ROWS``, the newest first); when the window holds more than that page,
``complete`` is false and the page says the earnings are partial.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from common.seedwork.domain.money import Money

EARNINGS_ROWS = 100
NOT_EARNED = ("REJECTED", "DECLINED")


def partner_chart(window: dict[str, str], stats: dict | None,
                  commissions: dict | None) -> dict[str, Any]:
    """``{"from", "to", "days": [{"day", "clicks", "conversions", "earnings": [money]}],
    "currencies", "complete"}``; a part whose service did not answer counts zero."""
    first, last = date.fromisoformat(window["from"]), date.fromisoformat(window["to"])
    days: dict[str, dict[str, Any]] = {}
    day = first
    while day <= last:
        days[day.isoformat()] = {"day": day.isoformat(), "clicks": 0, "conversions": 0,
                                 "earnings": {}}
        day += timedelta(days=1)
    for campaign in (stats or {}).get("campaigns", []):
        for entry in campaign.get("days", []):
            if entry["day"] in days:
                days[entry["day"]]["clicks"] += entry.get("clicks", 0)
                days[entry["day"]]["conversions"] += entry.get("conversions", 0)
    complete = commissions is not None
    items = (commissions or {}).get("items", [])
    for commission in items:
        on = (commission.get("occurred_at") or "")[:10]
        if on in days and commission.get("status") not in NOT_EARNED:
            owed = commission["amount"]
            earned = days[on]["earnings"]
            earned[owed["currency"]] = earned.get(owed["currency"], Decimal(0)) + Decimal(
                owed["amount"])
    if commissions is not None and commissions.get("total", 0) > len(items) and items:
        oldest = (items[-1].get("occurred_at") or "")[:10]
        complete = oldest < first.isoformat()  # the page reaches past the window
    currencies = sorted({currency for entry in days.values() for currency in entry["earnings"]})
    return {"from": first.isoformat(), "to": last.isoformat(), "currencies": currencies,
            "complete": complete,
            "days": [{**entry, "earnings": [Money.of(amount, currency).to_dict()
                                            for currency, amount in sorted(
                                                entry["earnings"].items())]}
                     for entry in days.values()]}
