"""Clicks: recorded always, flagged when they cannot earn anything.

A click through a suspended enrollment or partner, on a campaign that is not live, or
beyond the flooding limit is *stored* (stats, audit, later fraud analysis) but not
attributable. A valid click under pay-per-click terms is also *billable*: it will be
counted, once, in a ``clicks_attributed`` batch.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from common.seedwork.domain.entity import ValueObject
from common.seedwork.domain.ids import time_ordered_uuid
from common.seedwork.errors import ValidationError
from services.tracking.domain import links, reasons
from services.tracking.domain.fraud import FloodGate, FloodKey, FraudRules, flood_key
from services.tracking.domain.references import ReferralTarget


def new_click_id() -> str:
    """A time-ordered UUID (version 7 layout): consecutive clicks get neighbouring ids, so
    the hot path appends to the primary-key index instead of dirtying a random page per
    click. The BFF mints its redirects' ids the same way."""
    return time_ordered_uuid()


@dataclasses.dataclass(frozen=True)
class ClickRequest(ValueObject):
    referral_code: str
    ip: str
    user_agent: str
    landing_url: str | None = None
    occurred_at: datetime | None = None
    click_id: str | None = None  # minted by the BFF when it redirected; else here


@dataclasses.dataclass(frozen=True)
class Click(ValueObject):
    click_id: str
    referral_code: str
    enrollment_id: str
    campaign_id: str
    brand_id: str
    partner_id: str
    ip: str
    user_agent: str
    landing_url: str | None
    occurred_at: datetime
    recorded_at: datetime
    reason: str | None          # why it is not attributable; None when it is
    terms_version: int | None   # in force at occurred_at
    billable: bool              # valid and under pay-per-click terms
    redirect_url: str

    @property
    def attributable(self) -> bool:
        return self.reason is None


@dataclasses.dataclass(frozen=True)
class ClickTrace(ValueObject):
    """A stored click, as attribution needs it."""

    click_id: str
    enrollment_id: str
    brand_id: str
    ip: str
    occurred_at: datetime
    reason: str | None


def not_in_future(moment: datetime, now: datetime, max_skew: timedelta, field: str) -> None:
    """Refuse times ahead of our clock (beyond a small skew): they would let a caller
    game windows and stats."""
    if moment > now + max_skew:
        raise ValidationError("The time is in the future.",
                              {field: ["Must not be in the future."]})


@dataclasses.dataclass(frozen=True)
class AcceptedClick(ValueObject):
    """A click request on a known code whose time and deep link passed the checks."""

    request: ClickRequest
    target: ReferralTarget
    occurred_at: datetime
    destination: str

    @property
    def flood_key(self) -> FloodKey:
        return flood_key(self.request.referral_code, self.request.ip, self.occurred_at)


def accept(request: ClickRequest, target: ReferralTarget, *, now: datetime,
           max_skew: timedelta) -> AcceptedClick:
    """Raises ValidationError for a bad deep link or a time in the future."""
    occurred_at = request.occurred_at or now
    not_in_future(occurred_at, now, max_skew, "occurred_at")
    return AcceptedClick(request=request, target=target, occurred_at=occurred_at,
                         destination=links.destination(target.campaign.landing_url,
                                                       request.landing_url))


def screen(accepted: AcceptedClick, *, now: datetime, gate: FloodGate,
           rules: FraudRules) -> Click:
    """The Click, flagged as the rules say (flooding counted by ``gate``)."""
    request, target, occurred_at = accepted.request, accepted.target, accepted.occurred_at
    admitted = gate.admit(accepted.flood_key)
    reason = target.blocked_reason(occurred_at, rules)
    if reason is None and not admitted:
        reason = reasons.CLICK_FLOODING
    terms = target.terms_at(occurred_at)
    click_id = request.click_id or new_click_id()
    return Click(
        click_id=click_id, referral_code=request.referral_code,
        enrollment_id=target.enrollment.enrollment_id, campaign_id=target.campaign.campaign_id,
        brand_id=target.brand_id, partner_id=target.enrollment.partner_id, ip=request.ip,
        user_agent=request.user_agent, landing_url=request.landing_url,
        occurred_at=occurred_at, recorded_at=now, reason=reason,
        terms_version=terms.version if terms else None,
        billable=reason is None and terms is not None and terms.pays_per_click,
        redirect_url=links.with_click_id(accepted.destination, click_id),
    )
