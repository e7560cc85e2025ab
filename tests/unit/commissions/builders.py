"""Commands and ids the commissions unit tests share."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from common.seedwork.domain.money import Money
from services.commissions.application import commands
from services.commissions.domain import ids
from services.commissions.domain.commission import Refund, Source
from services.commissions.domain.terms import Model, Terms

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
BRAND, OTHER_BRAND = str(uuid.uuid4()), str(uuid.uuid4())
CAMPAIGN = str(uuid.uuid4())
PARTNER = str(uuid.uuid4())


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def cps(rate: str = "0.10", hold_days: int = 0) -> Terms:
    return Terms(version=1, model=Model.CPS, hold_days=hold_days, rate=Decimal(rate))


def cpc(amount: str = "0.50", cap: int | None = 10) -> Terms:
    return Terms(version=1, model=Model.CPC, hold_days=0, amount=usd(amount),
                 daily_click_cap=cap)


def conversion(order: str = "200.00", terms: Terms | None = None, partner: str = PARTNER,
               conversion_id: str | None = None, campaign: str = CAMPAIGN,
               at: datetime = NOW) -> commands.RecordConversionCommission:
    terms = terms or cps()
    return commands.RecordConversionCommission(terms=terms, source=Source(
        partner_id=partner, campaign_id=campaign, brand_id=BRAND,
        source_event_id=str(uuid.uuid4()), terms_version=terms.version, model=terms.model,
        occurred_at=at, conversion_id=conversion_id or str(uuid.uuid4()),
        order_amount=usd(order)))


def clicks(valid: int, terms: Terms | None = None, day: date = NOW.date(),
           event_id: str | None = None) -> commands.RecordClickCommission:
    terms = terms or cpc()
    return commands.RecordClickCommission(terms=terms, source=Source(
        partner_id=PARTNER, campaign_id=CAMPAIGN, brand_id=BRAND,
        source_event_id=event_id or str(uuid.uuid4()), terms_version=1, model=Model.CPC,
        occurred_at=NOW, clicks=valid, click_day=day))


def refund(cmd: commands.RecordConversionCommission, refunded: str, total: str | None = None,
           refund_id: str | None = None, fully: bool = False):
    order = cmd.source.order_amount
    return commands.ReverseConversionCommission(
        conversion_id=cmd.source.conversion_id, partner_id=cmd.source.partner_id,
        refund=Refund(refund_id=refund_id or str(uuid.uuid4()), order_amount=order,
                      total_reversed=usd(total or refunded), fully_reversed=fully))


def commission_id(cmd) -> str:
    if isinstance(cmd, commands.RecordClickCommission):
        return ids.clicks_commission_id(cmd.source.source_event_id)
    return ids.conversion_commission_id(cmd.source.conversion_id)
