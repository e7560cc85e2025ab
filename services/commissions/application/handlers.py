"""Commissions use cases: one small function each.

Two rules hold everywhere:

* a commission's budget is promised in the transaction that records it, under the
  campaign budget's row lock (``domain/campaign_budget.py``), and given back in the
  transaction that frees it: no other service is called on the way, and concurrent
  commissions never overspend;
* rows are locked in one order -- commissions and adjustments, then campaign budgets
  (by id), then the partner ledgers (``Postings`` locks them last) -- so concurrent use
  cases never deadlock.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from common.contracts.commissions import BudgetExhausted
from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from services.commissions.application import commands, queries, views
from services.commissions.application.ports import CommissionsUnitOfWork
from services.commissions.application.postings import Postings
from services.commissions.domain import ids
from services.commissions.domain.adjustment import Adjustment
from services.commissions.domain.balances import BalancesSnapshot
from services.commissions.domain.campaign_budget import BUDGET_EXHAUSTED, CampaignBudget
from services.commissions.domain.commission import (
    BONUS_TERMS_VERSION,
    Commission,
    Refund,
    Source,
)
from services.commissions.domain.payout_hold import HoldStatus, PayoutHold
from services.commissions.domain.terms import Terms

HANDLERS = HandlerRegistry()
log = logging.getLogger(__name__)

APPROVAL_CHUNK = 100  # commissions approved per transaction by the timer
DAILY_CAP_REACHED = "daily_click_cap_reached"
ZERO_AMOUNT = "zero_amount"


# --- earning ----------------------------------------------------------------------------
class CampaignNotYetKnown(Exception):
    """A conversion of a campaign whose budget has not reached commissions yet (its
    campaign events are behind in another queue): the event is retried, never guessed."""


@HANDLERS.command(commands.RecordConversionCommission)
def record_conversion_commission(cmd: commands.RecordConversionCommission,
                                 uow: CommissionsUnitOfWork, clock) -> str | None:
    source, terms = cmd.source, cmd.terms
    if not terms.pays_conversions:
        return None  # CPC terms pay clicks, not conversions
    commission_id = ids.conversion_commission_id(source.conversion_id)
    amount = terms.conversion_commission(source.order_amount)
    with uow:
        # one statement says both: nearly always (False, False) -- no refund look-up then
        recorded, refunds_parked = uow.commissions.recorded_or_parked(
            commission_id, source.conversion_id)
        if not recorded:
            now = clock()
            budget = _budget_of(uow, source.campaign_id)
            refusal = None if budget.reserve(amount, now) else BUDGET_EXHAUSTED
            if not amount.is_positive:
                refusal = ZERO_AMOUNT
            commission = _earned_or_rejected(commission_id, source, terms, amount, refusal,
                                             now)
            uow.budgets.save(budget)  # before a parked refund gives some of it back
            postings = Postings(uow.ledgers, now)
            postings.track_new(commission)
            if refunds_parked:
                _take_parked_refunds(uow, postings, commission, now)
            uow.commissions.add(commission)  # as the parked refunds left it
            postings.post()
        uow.commit()
    return commission_id


@HANDLERS.command(commands.RecordClickCommission)
def record_click_commission(cmd: commands.RecordClickCommission, uow: CommissionsUnitOfWork,
                            clock) -> str | None:
    source, terms = cmd.source, cmd.terms
    if not terms.pays_clicks:
        return None
    commission_id = ids.clicks_commission_id(source.source_event_id)
    with uow:
        if uow.commissions.get(commission_id) is None:
            _record_clicks(uow, clock(), commission_id, source, terms)
        uow.commit()
    return commission_id


def _record_clicks(uow: CommissionsUnitOfWork, now, commission_id: str, source: Source,
                   terms: Terms) -> None:
    """The batch earns its clicks still under the day's cap (the allowance row is locked
    for the day) if the budget covers them; a refused batch uses none of the day's cap."""
    allowance = uow.allowances.lock(source.partner_id, source.campaign_id, source.click_day,
                                    now)
    budget = _budget_of(uow, source.campaign_id)
    billable = allowance.grant(terms, source.clicks, now)
    amount = terms.clicks_commission(billable)
    refusal = DAILY_CAP_REACHED if billable == 0 else None
    if refusal is None and not budget.reserve(amount, now):
        refusal = BUDGET_EXHAUSTED
    if refusal is None:
        uow.allowances.save(allowance)
        uow.budgets.save(budget)
    _open(uow, _earned_or_rejected(commission_id, source, terms, amount, refusal, now), now)


@HANDLERS.command(commands.AwardBonus)
def award_bonus(cmd: commands.AwardBonus, uow: CommissionsUnitOfWork, clock) -> str:
    """A one-off amount the campaign's brand pays a partner, out of the campaign's budget
    (never past it), APPROVED at once. The same reference again answers the bonus it
    named (a retry); another bonus under it is a Conflict."""
    commission_id = ids.bonus_commission_id(cmd.acting_brand_id, cmd.reference)
    with uow:
        existing = uow.commissions.get(commission_id)
        if existing is not None:
            _ensure_same_bonus(existing, cmd)
        else:
            now = clock()
            budget = _bonus_budget(uow, cmd)
            if not budget.reserve(cmd.amount, now):
                raise BudgetExhausted(
                    f"The campaign has {budget.remaining} left: it does not cover this bonus.",
                    {"amount": [f"At most {budget.remaining}."]})
            uow.budgets.save(budget)
            source = Source(partner_id=cmd.partner_id, campaign_id=cmd.campaign_id,
                            brand_id=cmd.acting_brand_id, source_event_id=commission_id,
                            terms_version=BONUS_TERMS_VERSION, model=None, occurred_at=now,
                            note=cmd.note)
            _open(uow, Commission.bonus(id=commission_id, source=source, amount=cmd.amount,
                                        now=now, campaign_name=cmd.campaign_name), now)
        uow.commit()
    return commission_id


def _bonus_budget(uow: CommissionsUnitOfWork, cmd: commands.AwardBonus) -> CampaignBudget:
    """The campaign's budget, locked: the acting brand's, in the bonus's currency."""
    budget = uow.budgets.get(cmd.campaign_id, for_update=True)
    if budget is None:
        raise NotFound("No such campaign.", {"campaign_id": ["Unknown campaign."]})
    if budget.brand_id != cmd.acting_brand_id:
        raise Forbidden("Only the campaign's brand may award a bonus in it.",
                        {"acting_brand_id": ["Not the campaign's brand."]})
    if cmd.amount.currency != budget.currency:
        raise ValidationError("The bonus is invalid.", {
            "amount": [f"Must be in {budget.currency}, the campaign's currency."]})
    return budget


def _ensure_same_bonus(existing: Commission, cmd: commands.AwardBonus) -> None:
    source = existing.source
    if (source.partner_id, source.campaign_id, existing.earned, source.note) != (
            cmd.partner_id, cmd.campaign_id, cmd.amount, cmd.note):
        raise Conflict("This reference names another bonus.", {"reference": [
            "Already used for another partner, campaign, amount or note."]})


def _budget_of(uow: CommissionsUnitOfWork, campaign_id: str) -> CampaignBudget:
    budget = uow.budgets.get(campaign_id, for_update=True)
    if budget is None:
        raise CampaignNotYetKnown(f"campaign {campaign_id} has no budget here yet")
    return budget


def _earned_or_rejected(commission_id: str, source: Source, terms: Terms, amount: Money,
                        refusal: str | None, now) -> Commission:
    if refusal is None:
        return Commission.earn(id=commission_id, source=source, amount=amount,
                               hold_until=terms.hold_until(source.occurred_at), now=now)
    return Commission.reject(id=commission_id, source=source, currency=amount.currency,
                             reason=refusal, now=now)


def _open(uow: CommissionsUnitOfWork, commission: Commission, now) -> None:
    postings = Postings(uow.ledgers, now)
    uow.commissions.add(commission)
    postings.track_new(commission)
    postings.post()


def _give_back(uow: CommissionsUnitOfWork, releases: Iterable[tuple[str, Money]], now) -> None:
    """Money commissions no longer owe, back to their campaigns' budgets (locked by id)."""
    by_campaign: dict[str, Money] = {}
    for campaign_id, amount in releases:
        if amount.is_positive:
            earlier = by_campaign.get(campaign_id)
            by_campaign[campaign_id] = amount if earlier is None else earlier + amount
    for campaign_id in sorted(by_campaign):
        budget = uow.budgets.get(campaign_id, for_update=True)
        if budget is not None:
            budget.release(by_campaign[campaign_id], now)
            uow.budgets.save(budget)


# --- budgets ------------------------------------------------------------------------------
@HANDLERS.command(commands.FollowCampaignBudget)
def follow_campaign_budget(cmd: commands.FollowCampaignBudget, uow: CommissionsUnitOfWork,
                           clock) -> None:
    """A campaign event: its budget and terms in force, by revision. A campaign met for
    the first time starts from what its commissions already owe (none, normally)."""
    with uow:
        now = clock()
        budget = uow.budgets.get(cmd.campaign_id, for_update=True)
        if budget is None:
            budget = CampaignBudget.of_campaign(
                campaign_id=cmd.campaign_id, brand_id=cmd.brand_id, total=cmd.total,
                smallest=cmd.smallest, revision=cmd.revision, now=now)
            owed = uow.budgets.owed_so_far(cmd.campaign_id, cmd.total.currency)
            if owed.is_positive and not budget.reserve(owed, now):
                budget.reserved = owed  # more is owed than the budget: it stays exhausted
            uow.budgets.add(budget)
        elif budget.follow(total=cmd.total, smallest=cmd.smallest, revision=cmd.revision,
                           now=now):
            uow.budgets.save(budget)
        uow.commit()


# --- refunds ----------------------------------------------------------------------------
@HANDLERS.command(commands.ReverseConversionCommission)
def reverse_conversion_commission(cmd: commands.ReverseConversionCommission,
                                  uow: CommissionsUnitOfWork, clock) -> None:
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
        _apply_parked_refunds(uow, clock, cmd.conversion_id)


def _apply_parked_refunds(uow: CommissionsUnitOfWork, clock, conversion_id: str) -> None:
    """Refunds parked before the commission existed, applied after the refund's own
    commit (the commission may have committed meanwhile). The conversion side applies
    them in its recording transaction (those parked before its first statement); a
    refund parked while both transactions ran is found by the parked-refunds timer."""
    commission_id = ids.conversion_commission_id(conversion_id)
    with uow.peek():  # nearly always none: no write transaction for nothing
        if not uow.parked_refunds.for_conversion(conversion_id):
            return
    with uow:
        now = clock()
        commission = uow.commissions.get(commission_id, for_update=True)
        if commission is None:
            return
        postings = Postings(uow.ledgers, now)
        postings.track(commission)
        if _take_parked_refunds(uow, postings, commission, now):
            uow.commissions.save(commission)
            postings.post()
            uow.commit()


def _take_parked_refunds(uow: CommissionsUnitOfWork, postings: Postings,
                         commission: Commission, now) -> bool:
    conversion_id = commission.source.conversion_id
    parked = uow.parked_refunds.for_conversion(conversion_id)
    for refund in parked:
        _take_back(uow, postings, commission, refund, now)
        uow.parked_refunds.remove(conversion_id, refund.refund_id)
    return bool(parked)


@HANDLERS.command(commands.ApplyParkedRefunds)
def apply_parked_refunds(cmd: commands.ApplyParkedRefunds, uow: CommissionsUnitOfWork,
                         clock) -> int:
    with uow.peek():
        conversions = uow.parked_refunds.with_commission(cmd.limit)
    for conversion_id in conversions:
        _apply_parked_refunds(uow, clock, conversion_id)
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
        _give_back(uow, [(commission.campaign_id, reduction.amount)], now)


# --- approval ---------------------------------------------------------------------------
@HANDLERS.command(commands.ApproveDueCommissions)
def approve_due_commissions(cmd: commands.ApproveDueCommissions, uow: CommissionsUnitOfWork,
                            clock) -> int:
    """Timer: approve every PENDING commission whose hold is over, ``APPROVAL_CHUNK`` per
    transaction (one ledger update per partner per chunk, not one per commission)."""
    with uow.peek():
        due = uow.commissions.due_for_approval(clock(), cmd.limit)
    return sum(_approve_chunk(uow, clock, due[start:start + APPROVAL_CHUNK])
               for start in range(0, len(due), APPROVAL_CHUNK))


def _approve_chunk(uow: CommissionsUnitOfWork, clock, commission_ids: Sequence[str]) -> int:
    with uow:
        now = clock()
        commissions = uow.commissions.get_many(commission_ids)  # locked, by id
        postings = Postings(uow.ledgers, now)
        postings.track(*commissions)
        approved = [c for c in commissions if c.approve_if_due(now)]
        for commission in approved:
            uow.commissions.save(commission)
        _note_pending_changed(uow, {c.campaign_id for c in approved}, now)
        postings.post()
        uow.commit()
    return len(approved)


@HANDLERS.command(commands.ApproveCommission)
def approve_commission(cmd: commands.ApproveCommission, uow: CommissionsUnitOfWork, clock) -> None:
    def approve(commission: Commission, now) -> None:
        commission.check_owner(cmd.acting_brand_id)
        commission.approve(now)
        _note_pending_changed(uow, {commission.campaign_id}, now)

    _change(uow, clock, cmd.commission_id, approve)


@HANDLERS.command(commands.ApproveCommissions)
def approve_commissions(cmd: commands.ApproveCommissions, uow: CommissionsUnitOfWork,
                        clock) -> dict:
    """Each commission approved in its own transaction, as ``approve_commission`` does
    (an APPROVED one again: approved, nothing recorded); one that cannot be (unknown,
    another brand's, no longer PENDING) is refused with its error and changes nothing.
    Answers ``{"approved": [ids], "refused": [{"commission_id", "error"}]}``."""
    approved, refused = [], []
    for commission_id in dict.fromkeys(cmd.commission_ids):
        try:
            approve_commission(commands.ApproveCommission(
                commission_id=commission_id, acting_brand_id=cmd.acting_brand_id), uow, clock)
        except DomainError as refusal:
            refused.append({"commission_id": commission_id, "error": refusal.to_dict()})
        else:
            approved.append(commission_id)
    return {"approved": approved, "refused": refused}


@HANDLERS.command(commands.DeclineCommission)
def decline_commission(cmd: commands.DeclineCommission, uow: CommissionsUnitOfWork,
                       clock) -> None:
    def decline(commission: Commission, now) -> None:
        commission.check_owner(cmd.acting_brand_id)
        released = commission.decline(cmd.reason, now)
        if released is not None:
            _give_back(uow, [(commission.campaign_id, released)], now)

    _change(uow, clock, cmd.commission_id, decline)


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


def _note_pending_changed(uow: CommissionsUnitOfWork, campaign_ids: Iterable[str], now) -> None:
    """Commissions left PENDING without touching their budgets: the budget rows change
    too (locked by id, after the commissions, before the ledgers), so balances_changed
    carries each campaign's PENDING count and amount at a new revision."""
    for campaign_id in sorted(campaign_ids):
        budget = uow.budgets.get(campaign_id, for_update=True)
        if budget is not None:
            budget.note_pending_changed(now)
            uow.budgets.save(budget)


# --- read models' snapshots ---------------------------------------------------------------
@HANDLERS.command(commands.PublishBalancesChanges)
def publish_balances_changes(cmd: commands.PublishBalancesChanges, uow: CommissionsUnitOfWork,
                             clock) -> int:
    """Timer: the campaign budgets and partner ledgers changed since their last batch,
    ``max_rows`` of each per ``balances_changed`` event and transaction, until none is
    left. A look first: nothing changed (between bursts) opens no write transaction."""
    published = 0
    while True:
        with uow.peek():
            if not uow.balances.any_changed():
                return published
        with uow:
            budgets = uow.balances.changed_budgets(cmd.max_rows)  # budgets, then ledgers
            ledgers = uow.balances.changed_ledgers(cmd.max_rows)
            if budgets or ledgers:
                uow.balances.publish(BalancesSnapshot.of(ledgers, budgets, clock()))
            uow.commit()
        published += len(budgets) + len(ledgers)
        if max(len(budgets), len(ledgers)) < cmd.max_rows:
            return published


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
        holding = hold.status is not HoldStatus.RELEASED  # a released hold keeps its ids
        # each held commission's brand: the payout's events name them (webhooks sends a
        # payout to the brands whose commissions it pays, with no replica of its own)
        brand_of = uow.commissions.brands_of(hold.commission_ids) if holding else {}
        uow.commit()
    result = {**_hold_result(hold), "commission_brands": brand_of}
    if not holding:
        net = sum((e.amount for e in [*commissions, *adjustments]), Money.zero(cmd.currency))
        return {**result, "status": "NOTHING_TO_HOLD", "amount": net.to_dict()}
    return result


@HANDLERS.command(commands.ConfirmPayout)
def confirm_payout(cmd: commands.ConfirmPayout, uow: CommissionsUnitOfWork, clock) -> dict:
    """The PSP paid: the held commissions are PAID, the held clawbacks settled. A settled
    clawback is money the brand has back: it goes back to the campaign's budget in the
    same transaction."""

    def confirm(hold, commissions, adjustments, now) -> bool:
        if not hold.confirm(commissions, adjustments, now):
            return False
        campaign_of = {c.id: c.campaign_id for c in uow.commissions.get_many(
            [a.commission_id for a in adjustments])} if adjustments else {}
        _give_back(uow, [(campaign_of[a.commission_id], -a.amount) for a in adjustments
                         if a.commission_id in campaign_of], now)
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


@HANDLERS.query(queries.GetCampaignBudget)
def get_campaign_budget(query: queries.GetCampaignBudget, uow: CommissionsUnitOfWork) -> dict:
    with uow.read() as conn:
        found = views.campaign_budget(conn, query.campaign_id)
    if found is None:
        raise NotFound(f"Campaign {query.campaign_id} has no budget here (unknown campaign).",
                       {"campaign_id": ["Unknown."]})
    return found
