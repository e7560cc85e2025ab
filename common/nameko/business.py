"""Business counters, counted where integration events are committed -- not in the domain.

``count_committed`` is an after-commit listener of every unit of work
(``MessageBusProvider`` adds it next to the relay's): it sees exactly the integration
events a transaction committed, once per commit, whether the relay publishes them at
once or a sweep does later. One table (``COUNTED``) says which event types count, into
which counter, with which payload fields as labels; amounts are counted in **minor units**
of their currency (cents for USD, yen for JPY), so a counter stays an integer and sums
across instances; the currency label is an ISO 4217 code (bounded). Ids and free text
never become labels.

Clicks are not events (a click is a row, batched by the thousand): tracking's
``record_click(s)`` counts them with ``count_clicks`` from what the use case returned.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from prometheus_client import Counter, Gauge

from common.nameko.metrics import PREFIX
from common.seedwork.domain.iso import CURRENCY_MINOR_UNITS

EVENTS = Counter(
    f"{PREFIX}_integration_events",
    "Integration events committed (to the outbox), by source service and type.",
    ["source", "type"])
CLICKS = Counter(
    f"{PREFIX}_clicks",
    "Clicks recorded by tracking: attributable ones (reason=none) and the others, by the "
    "fraud or status rule that flagged them.", ["reason"])
CONVERSIONS = Counter(
    f"{PREFIX}_conversions",
    "Conversions decided by tracking: attributed, or rejected with the rule's reason.",
    ["outcome", "reason"])
COMMISSIONS = Counter(
    f"{PREFIX}_commissions",
    "Commission lifecycle steps: created, rejected, approved, declined, reversed, paid.",
    ["outcome"])
PAYOUTS = Counter(
    f"{PREFIX}_payouts", "Payouts that ended: paid, failed, compensation_failed; and started.",
    ["outcome"])
BUDGETS_EXHAUSTED = Counter(
    f"{PREFIX}_campaign_budgets_exhausted",
    "Campaign budgets used up (commissions' campaign_budget_exhausted).", [])
AMOUNTS = Counter(
    f"{PREFIX}_amount_minor_units",
    "Money moved, in minor units of its currency (cents...), by what moved it: "
    "conversion_attributed (order amounts), commission_created, commission_reversed "
    "(the refunded part), payout_paid.", ["kind", "currency"])

# payouts' saga (gauges refreshed by the payouts service: services/payouts/infrastructure/
# saga_metrics.py)
PAYOUT_SAGAS = Gauge(
    f"{PREFIX}_payout_sagas", "Payouts under way, by saga state (PENDING, HELD, "
    "CONFIRMING, COMPENSATING).", ["state"])
PAYOUT_SAGA_OLDEST_AGE = Gauge(
    f"{PREFIX}_payout_saga_oldest_step_age_seconds",
    "Seconds since the least recently moved payout in that saga state last changed "
    "(0 when none is in it): a saga stuck in a step grows it.", ["state"])

NONE = "none"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _label(value: Any) -> str:
    """A payload value as a label only when it is a short code identifier."""
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else "other"


def minor_units(money: Any) -> tuple[str, int] | None:
    """``{"amount": "12.50", "currency": "USD"}`` -> ``("USD", 1250)``; None if not money."""
    if not isinstance(money, dict):
        return None
    currency = money.get("currency")
    exponent = CURRENCY_MINOR_UNITS.get(currency) if isinstance(currency, str) else None
    if exponent is None:
        return None
    try:
        units = Decimal(str(money.get("amount"))).scaleb(exponent)
    except (InvalidOperation, ValueError):
        return None
    return currency, int(units.to_integral_value())


def _amount(kind: str, money: Any) -> None:
    found = minor_units(money)
    if found is not None and found[1] > 0:
        AMOUNTS.labels(kind=kind, currency=found[0]).inc(found[1])


# event type -> what it counts ------------------------------------------------------------
def _conversion_attributed(payload: dict) -> None:
    CONVERSIONS.labels(outcome="attributed", reason=NONE).inc()
    _amount("conversion_attributed", payload.get("order_amount"))


def _conversion_rejected(payload: dict) -> None:
    CONVERSIONS.labels(outcome="rejected", reason=_label(payload.get("reason"))).inc()


def _commission(outcome: str, amount_field: str | None = None):
    counter = COMMISSIONS.labels(outcome=outcome)

    def count(payload: dict) -> None:
        counter.inc()
        if amount_field:
            _amount(f"commission_{outcome}", payload.get(amount_field))

    return count


def _payout(outcome: str, with_amount: bool = False):
    counter = PAYOUTS.labels(outcome=outcome)

    def count(payload: dict) -> None:
        counter.inc()
        if with_amount:
            _amount(f"payout_{outcome}", payload.get("amount"))

    return count


_created = _commission("created", "amount")
_approved = _commission("approved")

def _commission_created(payload: dict) -> None:
    """Created; and approved too when it is created APPROVED (no hold: no
    ``commission_approved`` follows)."""
    _created(payload)
    if payload.get("status") == "APPROVED":
        _approved(payload)


COUNTED = {
    ("tracking", "conversion_attributed"): _conversion_attributed,
    ("tracking", "conversion_rejected"): _conversion_rejected,
    ("commissions", "commission_created"): _commission_created,
    ("commissions", "commission_rejected"): _commission("rejected"),
    ("commissions", "commission_approved"): _approved,
    ("commissions", "commission_declined"): _commission("declined"),
    ("commissions", "commission_reversed"): _commission("reversed", "reversed_amount"),
    ("commissions", "commission_paid"): _commission("paid"),
    ("commissions", "campaign_budget_exhausted"): lambda payload: BUDGETS_EXHAUSTED.inc(),
    ("payouts", "payout_started"): _payout("started"),
    ("payouts", "payout_paid"): _payout("paid", with_amount=True),
    ("payouts", "payout_failed"): _payout("failed"),
    ("payouts", "payout_compensation_failed"): _payout("compensation_failed"),
}


def count_committed(messages: Iterable[Any]) -> None:
    """After-commit listener: count what a unit of work committed (never raises)."""
    for message in messages:
        try:
            EVENTS.labels(source=message.source, type=message.type).inc()
            count = COUNTED.get((message.source, message.type))
            if count is not None:
                count(message.payload)
        except Exception:  # noqa: BLE001 -- a counter never fails a commit's aftermath
            continue


def count_clicks(outcomes: Iterable[Any]) -> None:
    """Tracking's recorded clicks (objects with ``reason``; refused requests are skipped)."""
    tally: dict[str, int] = {}
    for outcome in outcomes:
        if hasattr(outcome, "reason") and hasattr(outcome, "click_id"):
            reason = NONE if outcome.reason is None else _label(outcome.reason)
            tally[reason] = tally.get(reason, 0) + 1
    for reason, count in tally.items():
        CLICKS.labels(reason=reason).inc(count)
