"""Payouts use cases: one small function each."""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.entity import new_id
from common.seedwork.domain.money import Money
from common.seedwork.errors import ConcurrencyConflict, Conflict, NotFound
from services.payouts.application import commands, queries, views
from services.payouts.application.ports import Payable, PayoutsUnitOfWork
from services.payouts.application.saga import SagaRunner
from services.payouts.domain.payee import Payee
from services.payouts.domain.payout import Payout, Skip, why_not_start

HANDLERS = HandlerRegistry()
log = logging.getLogger(__name__)


# --- starting payouts -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Run:
    cycle: str
    min_amount: Money
    looked_at: datetime  # when the run asked the ledger who is payable

    @property
    def currency(self) -> str:
        return self.min_amount.currency


@HANDLERS.command(commands.RunPayouts)
def run_payouts(cmd: commands.RunPayouts, uow: PayoutsUnitOfWork, ledger, clock) -> dict:
    """One payout per partner whose payable balance reaches the threshold. Idempotent by
    partner + currency + cycle: a partner already paid (or being paid) in this cycle is
    skipped; one whose payout FAILED in this cycle is retried. A partner whose payout of
    another cycle is under way -- or was paid since the run read the balances -- is
    skipped too: that payout holds (or took) its balance.

    ``started`` lists only the payouts this run started (or restarted); ``skipped`` says
    why each other partner was left, with the payout in the way when there is one."""
    looked_at = clock()
    run = _Run(cycle=cmd.cycle or looked_at.date().isoformat(),
               min_amount=Money.of(cmd.min_amount, cmd.currency), looked_at=looked_at)
    started, skipped = [], []
    for payable in ledger.list_payable(run.currency, run.min_amount):  # RPC, no transaction
        outcome = _start_payout(uow, clock, payable, run)
        entry = {"partner_id": payable.partner_id, "payable": payable.amount.to_dict()}
        if isinstance(outcome, Skip):
            skipped.append({**entry, "reason": outcome.reason, "payout_id": outcome.payout_id})
        else:
            started.append({**entry, "payout_id": outcome})
    return {"cycle": run.cycle, "currency": run.currency,
            "min_amount": run.min_amount.to_dict(), "started": started, "skipped": skipped}


def _start_payout(uow: PayoutsUnitOfWork, clock, payable: Payable, run: _Run) -> str | Skip:
    """The id of the payout started (or restarted) for the partner, else why not."""
    try:
        return _start_or_skip(uow, clock, payable, run)
    except (Conflict, ConcurrencyConflict):
        # a concurrent run took the cycle or the partner between our look and our write:
        # look again, the store now shows its payout
        return _start_or_skip(uow, clock, payable, run)


def _start_or_skip(uow: PayoutsUnitOfWork, clock, payable: Payable, run: _Run) -> str | Skip:
    partner_id = payable.partner_id
    with uow:
        in_cycle = uow.payouts.by_key(partner_id, run.currency, run.cycle)
        under_way = uow.payouts.under_way(partner_id, run.currency)
        skip = why_not_start(in_cycle, under_way,
                             uow.payouts.paid_since(partner_id, run.currency, run.looked_at))
        if skip is not None:
            return skip
        if in_cycle is not None:  # it FAILED: a new attempt
            in_cycle.retry(clock(), under_way)
            uow.payouts.save(in_cycle)
            uow.commit()
            return in_cycle.id
        return _open_payout(uow, clock, partner_id, run)


def _open_payout(uow: PayoutsUnitOfWork, clock, partner_id: str, run: _Run) -> str | Skip:
    payee = uow.payees.get(partner_id)
    reason = payee.why_not_payable() if payee else "partner_unknown"
    if reason is not None:
        return Skip(reason)
    payout = Payout.start(id=new_id(), partner_id=partner_id, currency=run.currency,
                          cycle=run.cycle, min_amount=run.min_amount,
                          payout_method=payee.payout_method, now=clock())
    uow.payouts.add(payout)
    uow.commit()
    return payout.id


# --- running sagas ----------------------------------------------------------------------
@HANDLERS.command(commands.DrivePayoutSagas)
def drive_payout_sagas(cmd: commands.DrivePayoutSagas, uow: PayoutsUnitOfWork, ledger, psp, clock,
                       crash_point) -> int:
    lease = timedelta(seconds=cmd.lease_seconds)
    runner = SagaRunner(uow=uow, ledger=ledger, psp=psp, clock=clock, crash_point=crash_point,
                        lease=lease, retry_delay=timedelta(seconds=cmd.retry_delay_seconds))
    with uow.peek():
        due = uow.payouts.due(clock(), cmd.limit)
    ran = 0
    for payout_id in due:
        payout = _claim(uow, clock, payout_id, cmd.owner, lease)
        if payout is None:
            continue
        try:
            runner.run(payout)
        except Exception:  # one saga's trouble must not stall the others
            log.exception("payout %s: saga interrupted; resumed once its lease runs out",
                          payout_id)
        ran += 1
    return ran


def _claim(uow: PayoutsUnitOfWork, clock, payout_id: str, owner: str,
           lease: timedelta) -> Payout | None:
    try:
        with uow:
            payout = uow.payouts.get(payout_id)
            if payout is None or not payout.claim(owner, clock(), lease):
                return None
            uow.payouts.save(payout)
            uow.commit()
            return payout
    except ConcurrencyConflict:  # another runner claimed it first
        return None


@HANDLERS.command(commands.RetryPayout)
def retry_payout(cmd: commands.RetryPayout, uow: PayoutsUnitOfWork, clock) -> None:
    with uow:
        payout = uow.payouts.get(cmd.payout_id, for_update=True)
        if payout is None:
            raise _unknown(cmd.payout_id)
        under_way = uow.payouts.under_way(payout.partner_id, payout.currency)
        if payout.retry(clock(), under_way):
            uow.payouts.save(payout)
        uow.commit()


# --- partner replica --------------------------------------------------------------------
@HANDLERS.command(commands.FollowPartner)
def follow_partner(cmd: commands.FollowPartner, uow: PayoutsUnitOfWork, clock) -> None:
    with uow:
        now = clock()
        payee = uow.payees.get(cmd.partner_id, for_update=True)
        if payee is None:
            uow.payees.add(Payee(partner_id=cmd.partner_id, status=cmd.status,
                                 payout_method=cmd.payout_method, revision=cmd.revision,
                                 updated_at=now))
        elif payee.follow(cmd.status, cmd.payout_method, cmd.revision, now):
            uow.payees.save(payee)
        uow.commit()


# --- queries ----------------------------------------------------------------------------
@HANDLERS.query(queries.GetPayout)
def get_payout(query: queries.GetPayout, uow: PayoutsUnitOfWork) -> dict:
    with uow.read() as conn:
        found = views.payout(conn, query.payout_id)
    if found is None:
        raise _unknown(query.payout_id)
    return found


@HANDLERS.query(queries.ListPayouts)
def list_payouts(query: queries.ListPayouts, uow: PayoutsUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.payouts_page(conn, query)


def _unknown(payout_id: str) -> NotFound:
    return NotFound(f"Payout {payout_id} does not exist.", {"payout_id": ["Unknown."]})
