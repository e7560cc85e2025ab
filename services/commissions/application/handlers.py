"""Commissions use cases: one small function each.

Two rules hold everywhere:

* a call to campaigns (the budget) never happens inside a transaction: reservations
  are made before the transaction that records the commission (idempotent by
  reservation id = commission id, so a retried event reserves nothing twice), releases
  are queued in the transaction and sent after it (``_send_releases``);
* entries are locked before the ledger that sums them (``Postings`` locks the ledger
  last), so concurrent use cases never deadlock.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.money import Money
from common.seedwork.errors import DomainError, NotFound
from services.commissions.application import commands, queries, views
from services.commissions.application.ports import CommissionsUnitOfWork
from services.commissions.application.postings import Postings
from services.commissions.domain import ids
from services.commissions.domain.adjustment import Adjustment
from services.commissions.domain.budget import BudgetRelease, Reservation
from services.commissions.domain.commission import Commission, Refund, Source
from services.commissions.domain.payout_hold import HoldStatus, PayoutHold
from services.commissions.domain.terms import Terms

HANDLERS = HandlerRegistry()
log = logging.getLogger(__name__)

DAILY_CAP_REACHED = "daily_click_cap_reached"
ZERO_AMOUNT = "zero_amount"


# --- earning ----------------------------------------------------------------------------
@HANDLERS.command(commands.RecordConversionCommission)
def record_conversion_commission(cmd: commands.RecordConversionCommission,
                                 uow: CommissionsUnitOfWork, budget, clock) -> str | None:
    source, terms = cmd.source, cmd.terms
    if not terms.pays_conversions:
        return None  # CPC terms pay clicks, not conversions
    commission_id = ids.conversion_commission_id(source.conversion_id)
    if _exists(uow, commission_id):
        return commission_id
    amount = terms.conversion_commission(source.order_amount)
    reservation = _reserve(budget, source, commission_id, amount, ZERO_AMOUNT)
    with uow:
        if uow.commissions.get(commission_id) is None:
            now = clock()
            _open(uow, _earned_or_rejected(commission_id, source, terms, amount, reservation,
                                           now), now)
        uow.commit()
    _apply_parked_refunds(uow, budget, clock, source.conversion_id)
    return commission_id


@HANDLERS.command(commands.RecordClickCommission)
def record_click_commission(cmd: commands.RecordClickCommission, uow: CommissionsUnitOfWork, budget,
                            clock) -> str | None:
    source, terms = cmd.source, cmd.terms
    if not terms.pays_clicks:
        return None
    commission_id = ids.clicks_commission_id(source.source_event_id)
    if _exists(uow, commission_id):
        return commission_id
    # What the batch alone may earn: the same on every delivery of the event, so a
    # retried reservation is the same reservation. Other batches of the day are counted
    # below, under the day's lock, and what they used goes back to the budget.
    most = terms.clicks_commission(terms.billable_clicks(source.clicks, already_paid=0))
    reservation = _reserve(budget, source, commission_id, most, DAILY_CAP_REACHED)
    with uow:
        if uow.commissions.get(commission_id) is None:
            _record_clicks(uow, clock(), commission_id, source, terms, most, reservation)
        uow.commit()
    _send_releases(uow, budget, clock, [ids.release_id(commission_id, "daily_click_cap")])
    return commission_id


def _record_clicks(uow: CommissionsUnitOfWork, now, commission_id: str, source: Source,
                   terms: Terms, reserved: Money, reservation: Reservation) -> None:
    billable = 0
    if reservation.accepted:
        allowance = uow.allowances.lock(source.partner_id, source.campaign_id,
                                        source.click_day, now)
        billable = allowance.grant(terms, source.clicks, now)
        uow.allowances.save(allowance)
    amount = terms.clicks_commission(billable)
    if reservation.accepted and amount < reserved:
        uow.releases.add(BudgetRelease.of(commission_id, reserved - amount, "daily_click_cap",
                                          now))
    if billable == 0:
        reservation = Reservation(False, reservation.reason or DAILY_CAP_REACHED)
    _open(uow, _earned_or_rejected(commission_id, source, terms, amount, reservation, now), now)


def _exists(uow: CommissionsUnitOfWork, commission_id: str) -> bool:
    """A look before any RPC, on committed data: claims nothing and takes no write lock
    (a redelivered event whose commission exists ends the use case right here; one
    racing its twin is stopped by the inbox claim of the transaction that records)."""
    with uow.peek():
        return uow.commissions.get(commission_id) is not None


def _reserve(budget, source: Source, commission_id: str, amount: Money,
             reason_if_zero: str) -> Reservation:
    if not amount.is_positive:
        return Reservation(False, reason_if_zero)
    return budget.reserve(source.campaign_id, commission_id, amount)


def _earned_or_rejected(commission_id: str, source: Source, terms: Terms, amount: Money,
                        reservation: Reservation, now) -> Commission:
    if reservation.accepted:
        return Commission.earn(id=commission_id, source=source, amount=amount,
                               hold_until=terms.hold_until(source.occurred_at), now=now)
    return Commission.reject(id=commission_id, source=source, currency=amount.currency,
                             reason=reservation.reason or "rejected", now=now)


def _open(uow: CommissionsUnitOfWork, commission: Commission, now) -> None:
    postings = Postings(uow.ledgers, now)
    uow.commissions.add(commission)
    postings.track_new(commission)
    postings.post()


# --- refunds ----------------------------------------------------------------------------
@HANDLERS.command(commands.ReverseConversionCommission)
def reverse_conversion_commission(cmd: commands.ReverseConversionCommission,
                                  uow: CommissionsUnitOfWork, budget, clock) -> None:
    commission_id = ids.conversion_commission_id(cmd.conversion_id)
    with uow:
        now = clock()
        commission = uow.commissions.get(commission_id, for_update=True)
        if commission is None:  # its conversion_attributed is not applied yet
            uow.parked_refunds.park(cmd.conversion_id, cmd.refund, now)
        else:
            postings = Postings(uow.ledgers, now)
            postings.track(commission)
            _take_back(uow, postings, commission, cmd.refund, now)
            uow.commissions.save(commission)
            postings.post()
        uow.commit()
    if commission is None:
        _apply_parked_refunds(uow, budget, clock, cmd.conversion_id)
    else:
        _send_releases(uow, budget, clock, [_refund_release_id(commission_id, cmd.refund)])


def _apply_parked_refunds(uow: CommissionsUnitOfWork, budget, clock, conversion_id: str) -> None:
    """Refunds parked before the commission existed. Both the refund and the commission
    side run this after their commit, so whichever commits last applies them."""
    commission_id = ids.conversion_commission_id(conversion_id)
    applied: list[Refund] = []
    with uow.peek():  # nearly always none: no write transaction for nothing
        if not uow.parked_refunds.for_conversion(conversion_id):
            return
    with uow:
        now = clock()
        parked = uow.parked_refunds.for_conversion(conversion_id)
        commission = uow.commissions.get(commission_id, for_update=True) if parked else None
        if commission is None:
            return
        postings = Postings(uow.ledgers, now)
        postings.track(commission)
        for refund in parked:
            _take_back(uow, postings, commission, refund, now)
            uow.parked_refunds.remove(conversion_id, refund.refund_id)
            applied.append(refund)
        uow.commissions.save(commission)
        postings.post()
        uow.commit()
    _send_releases(uow, budget, clock, [_refund_release_id(commission_id, r) for r in applied])


@HANDLERS.command(commands.ApplyParkedRefunds)
def apply_parked_refunds(cmd: commands.ApplyParkedRefunds, uow: CommissionsUnitOfWork, budget,
                         clock) -> int:
    with uow.peek():
        conversions = uow.parked_refunds.with_commission(cmd.limit)
    for conversion_id in conversions:
        _apply_parked_refunds(uow, budget, clock, conversion_id)
    return len(conversions)


def _take_back(uow: CommissionsUnitOfWork, postings: Postings, commission: Commission,
               refund: Refund, now) -> None:
    reduction = commission.refund(refund, now)
    if reduction is None:
        return
    if reduction.clawback:
        adjustment = Adjustment.clawback(
            id=ids.clawback_id(commission.id, refund.refund_id), partner_id=commission.partner_id,
            commission_id=commission.id, refund_id=refund.refund_id,
            reduction=reduction.amount, now=now)
        uow.adjustments.add(adjustment)
        postings.track_new(adjustment)
    else:
        uow.releases.add(BudgetRelease.of(commission.id, reduction.amount,
                                          f"refund:{refund.refund_id}", now))


def _refund_release_id(commission_id: str, refund: Refund) -> str:
    return ids.release_id(commission_id, f"refund:{refund.refund_id}")


# --- approval ---------------------------------------------------------------------------
@HANDLERS.command(commands.ApproveDueCommissions)
def approve_due_commissions(cmd: commands.ApproveDueCommissions, uow: CommissionsUnitOfWork,
                            clock) -> int:
    """Timer: approve every PENDING commission whose hold is over."""
    with uow.peek():
        due = uow.commissions.due_for_approval(clock(), cmd.limit)
    return sum(bool(_change(uow, clock, commission_id,
                            lambda commission, now: commission.approve_if_due(now)))
               for commission_id in due)


@HANDLERS.command(commands.ApproveCommission)
def approve_commission(cmd: commands.ApproveCommission, uow: CommissionsUnitOfWork, clock) -> None:
    def approve(commission: Commission, now) -> None:
        commission.check_owner(cmd.acting_brand_id)
        commission.approve(now)

    _change(uow, clock, cmd.commission_id, approve)


@HANDLERS.command(commands.DeclineCommission)
def decline_commission(cmd: commands.DeclineCommission, uow: CommissionsUnitOfWork, budget,
                       clock) -> None:
    def decline(commission: Commission, now) -> None:
        commission.check_owner(cmd.acting_brand_id)
        released = commission.decline(cmd.reason, now)
        if released is not None and released.is_positive:
            uow.releases.add(BudgetRelease.of(commission.id, released, "decline", now))

    _change(uow, clock, cmd.commission_id, decline)
    _send_releases(uow, budget, clock, [ids.release_id(cmd.commission_id, "decline")])


def _change(uow: CommissionsUnitOfWork, clock, commission_id: str, change: Callable[[Commission,
            object], object]):
    with uow:
        now = clock()
        commission = uow.commissions.get(commission_id, for_update=True)
        if commission is None:
            raise NotFound(f"Commission {commission_id} does not exist.",
                           {"commission_id": ["Unknown."]})
        postings = Postings(uow.ledgers, now)
        postings.track(commission)
        result = change(commission, now)
        uow.commissions.save(commission)
        postings.post()
        uow.commit()
    return result


# --- payout saga steps ------------------------------------------------------------------
@HANDLERS.command(commands.HoldForPayout)
def hold_for_payout(cmd: commands.HoldForPayout, uow: CommissionsUnitOfWork, clock) -> dict:
    """Hold every APPROVED commission and open clawback of the partner for the payout,
    if their net reaches ``min_amount``. Idempotent by payout id."""
    with uow:
        now = clock()
        stored = uow.holds.get(cmd.payout_id, for_update=True)
        hold = stored or PayoutHold.new(payout_id=cmd.payout_id, partner_id=cmd.partner_id,
                                        currency=cmd.currency, now=now)
        hold.check_belongs_to(cmd.partner_id, cmd.currency)
        commissions = adjustments = []
        if hold.status is HoldStatus.RELEASED:
            commissions = uow.commissions.approved_for(cmd.partner_id, cmd.currency)
            adjustments = uow.adjustments.open_for(cmd.partner_id, cmd.currency)
            postings = Postings(uow.ledgers, now)
            postings.track(*commissions, *adjustments)
            min_amount = Money.of(cmd.min_amount or 0, cmd.currency)
            if hold.take(commissions, adjustments, min_amount, now):
                _save_all(uow, commissions, adjustments)
                (uow.holds.save if stored else uow.holds.add)(hold)
                postings.post()
        uow.commit()
    if hold.status is HoldStatus.RELEASED:
        net = sum((e.amount for e in [*commissions, *adjustments]), Money.zero(cmd.currency))
        return {**_hold_result(hold), "status": "NOTHING_TO_HOLD", "amount": net.to_dict()}
    return _hold_result(hold)


@HANDLERS.command(commands.ConfirmPayout)
def confirm_payout(cmd: commands.ConfirmPayout, uow: CommissionsUnitOfWork, clock) -> dict:
    """The PSP paid: the held commissions are PAID, the held clawbacks settled. A settled
    clawback is money the brand has back: that part of its commission's reservation goes
    back to the campaign budget -- queued in the same transaction and sent by the release
    timer, so a slow campaigns never delays the payout saga."""

    def confirm(hold, commissions, adjustments, now) -> bool:
        if not hold.confirm(commissions, adjustments, now):
            return False
        for adjustment in adjustments:
            release = BudgetRelease.of(adjustment.commission_id, -adjustment.amount,
                                       f"clawback:{adjustment.id}", now)
            uow.releases.add(release)
        return True

    return _settle_hold(uow, clock, cmd.payout_id, confirm, missing_ok=False)


@HANDLERS.command(commands.ReleasePayout)
def release_payout(cmd: commands.ReleasePayout, uow: CommissionsUnitOfWork, clock) -> dict:
    """The payment failed: everything held goes back (commissions APPROVED). Releasing
    a payout that holds nothing is a no-op."""
    return _settle_hold(uow, clock, cmd.payout_id, PayoutHold.release, missing_ok=True)


def _settle_hold(uow: CommissionsUnitOfWork, clock, payout_id: str, action, *,
                 missing_ok: bool) -> dict:
    with uow:
        now = clock()
        hold = uow.holds.get(payout_id, for_update=True)
        if hold is None:
            if missing_ok:
                return {"payout_id": payout_id, "status": "RELEASED", "commission_ids": [],
                        "adjustment_ids": []}
            raise NotFound(f"Payout {payout_id} holds nothing.", {"payout_id": ["Unknown."]})
        commissions = uow.commissions.get_many(hold.commission_ids)
        adjustments = uow.adjustments.get_many(hold.adjustment_ids)
        postings = Postings(uow.ledgers, now)
        postings.track(*commissions, *adjustments)
        if action(hold, commissions, adjustments, now):
            _save_all(uow, commissions, adjustments)
            uow.holds.save(hold)
            postings.post()
        uow.commit()
    return _hold_result(hold)


def _save_all(uow: CommissionsUnitOfWork, commissions: Sequence[Commission],
              adjustments: Sequence[Adjustment]):
    for commission in commissions:
        uow.commissions.save(commission)
    for adjustment in adjustments:
        uow.adjustments.save(adjustment)


def _hold_result(hold: PayoutHold) -> dict:
    return {"payout_id": hold.id, "partner_id": hold.partner_id, "currency": hold.currency,
            "status": hold.status.value, "amount": hold.amount.to_dict(),
            "commission_ids": list(hold.commission_ids),
            "adjustment_ids": list(hold.adjustment_ids)}


# --- budget releases --------------------------------------------------------------------
@HANDLERS.command(commands.SendBudgetReleases)
def send_budget_releases(cmd: commands.SendBudgetReleases, uow: CommissionsUnitOfWork, budget,
                         clock) -> int:
    """Timer: retry releases campaigns has not acknowledged yet."""
    return _send_releases(uow, budget, clock, limit=cmd.limit)


def _send_releases(uow: CommissionsUnitOfWork, budget, clock,
                   release_ids: Sequence[str] | None = None, limit: int = 100) -> int:
    with uow.peek():
        due = uow.releases.due(clock(), limit, release_ids)
    sent = 0
    for release in due:
        try:
            budget.release(release)
        except Exception as error:  # any failure: keep it queued, retry later
            log.warning("budget release %s of %s failed (%s); will retry", release.release_id,
                        release.amount, error, exc_info=not _is_expected(error))
            with uow:
                uow.releases.failed(release.release_id, str(error)[:500], clock())
                uow.commit()
            continue
        with uow:
            uow.releases.sent(release.release_id, clock())
            uow.commit()
        sent += 1
    return sent


def _is_expected(error: Exception) -> bool:
    return isinstance(error, DomainError)


# --- queries ----------------------------------------------------------------------------
@HANDLERS.query(queries.GetCommission)
def get_commission(query: queries.GetCommission, uow: CommissionsUnitOfWork) -> dict:
    with uow.read() as conn:
        found = views.commission(conn, query.commission_id)
    if found is None:
        raise NotFound(f"Commission {query.commission_id} does not exist.",
                       {"commission_id": ["Unknown."]})
    return found


@HANDLERS.query(queries.ListCommissions)
def list_commissions(query: queries.ListCommissions, uow: CommissionsUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.commissions_page(conn, query)


@HANDLERS.query(queries.GetBalance)
def get_balance(query: queries.GetBalance, uow: CommissionsUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.balance(conn, query.partner_id)


@HANDLERS.query(queries.ListPayable)
def list_payable(query: queries.ListPayable, uow: CommissionsUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.payable(conn, query.currency, query.min_amount)
