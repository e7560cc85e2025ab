"""Last-click attribution and the conversion-time fraud rules.

1. *Candidates*: the click the brand reported (``click_id``) and the latest click of the
   same brand from the customer's IP. The **latest** candidate not after the
   conversion wins (last click wins), provided the conversion falls within the
   attribution window of its campaign's terms in force when the conversion happened.
2. Without such a click, a referral code (link or coupon) reported with the order
   credits that code's partner.
3. Without either, a *referred customer* (the brand's ``customer_id``) credits the
   partner of the customer's first attributed order with the brand, when the terms in
   force at this order pay recurring commissions and it falls within their
   ``recurring_months`` of that first order (a subscription's renewals).
4. Nothing matches: UNATTRIBUTED (kept, no commission, no event).

The winner is then judged: a click that was not attributable (flooding, suspended,
campaign not live) passes its reason on; then suspended partner or enrollment, a
campaign not live at the conversion, self-referral, a conversion too soon after the
click -- the first that applies rejects the conversion with that reason.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from common.seedwork.domain.entity import ValueObject
from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError
from services.tracking.domain import reasons
from services.tracking.domain.clicks import ClickTrace
from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.references import ReferralTarget
from services.tracking.domain.terms import TermsVersion

ATTRIBUTED = "ATTRIBUTED"
REJECTED = "REJECTED"
UNATTRIBUTED = "UNATTRIBUTED"

# what credited a conversion (``Credit.by``)
BY_CLICK = "click"
BY_CODE = "code"
BY_CUSTOMER = "customer"


@dataclasses.dataclass(frozen=True)
class ConversionFacts(ValueObject):
    """What the brand reported about one order."""

    brand_id: str
    order_id: str
    amount: Money
    occurred_at: datetime
    referral_code: str | None = None
    click_id: str | None = None
    customer_ip: str | None = None
    customer_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Credit(ValueObject):
    """Who a conversion would be credited to: a code's target, through a click or not,
    under the terms in force when it happened (None if none were yet)."""

    target: ReferralTarget
    click: ClickTrace | None
    terms: TermsVersion | None
    by: str = BY_CODE


@dataclasses.dataclass(frozen=True)
class CustomerReferral(ValueObject):
    """A customer's first attributed order with a brand: whose customer they are
    (``enrollment_id``) and since when (that order's ``occurred_at``)."""

    enrollment_id: str
    since: datetime


@dataclasses.dataclass(frozen=True)
class Verdict(ValueObject):
    status: str
    reason: str | None = None
    credit: Credit | None = None


def last_click(candidates: Iterable[ClickTrace | None], conversion_at: datetime
               ) -> ClickTrace | None:
    """The latest click not after the conversion."""
    eligible = [c for c in candidates if c is not None and c.occurred_at <= conversion_at]
    return max(eligible, key=lambda c: c.occurred_at, default=None)


def credit_for(facts: ConversionFacts, click: ClickTrace | None,
               click_target: ReferralTarget | None,
               code_target: ReferralTarget | None) -> Credit | None:
    """The click within its window, else the reported code, else nobody."""
    if click is not None and click_target is not None:
        terms = click_target.terms_at(facts.occurred_at)
        if terms is not None and terms.window_covers(click.occurred_at, facts.occurred_at):
            return Credit(target=click_target, click=click, terms=terms, by=BY_CLICK)
    if code_target is not None:
        return Credit(target=code_target, click=None,
                      terms=code_target.terms_at(facts.occurred_at), by=BY_CODE)
    return None


def renewal_credit(facts: ConversionFacts, referral: CustomerReferral | None,
                   target: ReferralTarget | None) -> Credit | None:
    """The referred customer's partner, when the terms in force at this order pay
    recurring commissions for it (else nobody)."""
    if referral is None or target is None:
        return None
    terms = target.terms_at(facts.occurred_at)
    if terms is None or not terms.renewal_covers(referral.since, facts.occurred_at):
        return None
    return Credit(target=target, click=None, terms=terms, by=BY_CUSTOMER)


def check_currency(facts: ConversionFacts, credit: Credit | None) -> None:
    """A credited order must be in its campaign's currency: commissions are priced and
    budgets kept in it."""
    if credit is not None and facts.amount.currency != credit.target.campaign.currency:
        raise ValidationError("The order is not in the campaign's currency.", {
            "currency": [f"This campaign pays in {credit.target.campaign.currency}."]})


def judge(facts: ConversionFacts, credit: Credit | None, *, partner_ips: set[str],
          rules: FraudRules) -> Verdict:
    if credit is None:
        return Verdict(status=UNATTRIBUTED)
    reason = rejection_reason(facts, credit, partner_ips=partner_ips, rules=rules)
    return Verdict(status=REJECTED if reason else ATTRIBUTED, reason=reason, credit=credit)


def rejection_reason(facts: ConversionFacts, credit: Credit, *, partner_ips: set[str],
                     rules: FraudRules) -> str | None:
    click, target = credit.click, credit.target
    if click is not None and click.reason is not None:
        return click.reason
    blocked = target.blocked_reason(facts.occurred_at, rules)
    if blocked is not None:
        return blocked
    if credit.terms is None:
        return reasons.CAMPAIGN_INACTIVE  # no terms were in force yet
    if rules.is_self_referral(partner_known_as_customer=target.is_partner(facts.customer_id),
                              traffic_ips=(facts.customer_ip, click and click.ip),
                              partner_ips=partner_ips):
        return reasons.SELF_REFERRAL
    if click is not None and rules.converted_too_fast(click.occurred_at, facts.occurred_at):
        return reasons.TOO_FAST
    return None
