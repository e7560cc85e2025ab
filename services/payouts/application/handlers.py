"""Payouts use cases: one small function each."""
from __future__ import annotations

import logging
from datetime import timedelta

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.entity import new_id
from common.seedwork.domain.money import Money
from common.seedwork.errors import ConcurrencyConflict, Conflict, NotFound
from services.payouts.application import commands, queries, views
from services.payouts.application.ports import Payable
from services.payouts.application.saga import SagaRunner
from services.payouts.domain.payee import Payee
from services.payouts.domain.payout import Payout, PayoutStatus

HANDLERS = HandlerRegistry()
log = logging.getLogger(__name__)
ALREADY_IN_CYCLE = "already_in_cycle"


# --- starting payouts -------------------------------------------------------------------
@HANDLERS.command(commands.RunPayouts)
def run_payouts(cmd: commands.RunPayouts, uow, ledger, clock) -> dict:
    """One payout per partner whose payable balance reaches the threshold. Idempotent by
    partner + currency + cycle: a partner already paid (or being paid) in this cycle is
    skipped; one whose payout FAILED in this cycle is retried."""
    cycle = cmd.cycle or clock().date().isoformat()
    min_amount = Money.of(cmd.min_amount, cmd.currency)
    started, skipped = [], []
    for payable in ledger.list_payable(cmd.currency, min_amount):  # RPC, outside transactions
        payout_id, reason = _start_payout(uow, clock, payable, cycle, min_amount)
        entry = {"partner_id": payable.partner_id, "payable": payable.amount.to_dict()}
        if reason is None:
            started.append({**entry, "payout_id": payout_id})
        else:
            skipped.append({**entry, "reason": reason, "payout_id": payout_id})
    return {"cycle": cycle, "currency": cmd.currency, "min_amount": min_amount.to_dict(),
            "started": started, "skipped": skipped}


def _start_payout(uow, clock, payable: Payable, cycle: str,
                  min_amount: Money) -> tuple[str | None, str | None]:
    """(payout id, None) when a payout starts (or restarts), else (id or None, reason)."""
    currency = min_amount.currency
    try:
        with uow:
            now = clock()
            existing = uow.payouts.by_key(payable.partner_id, currency, cycle)
            if existing is not None:
                if existing.status is not PayoutStatus.FAILED:
                    return existing.id, ALREADY_IN_CYCLE
                existing.retry(now)
                uow.payouts.save(existing)
                uow.commit()
                return existing.id, None
            payee = uow.payees.get(payable.partner_id)
            reason = payee.why_not_payable() if payee else "partner_unknown"
            if reason is not None:
                return None, reason
            payout = Payout.start(id=new_id(), partner_id=payable.partner_id, currency=currency,
                                  cycle=cycle, min_amount=min_amount,
                                  payout_method=payee.payout_method, now=now)
            uow.payouts.add(payout)
            uow.commit()
            return payout.id, None
    except (Conflict, ConcurrencyConflict):  # a concurrent run of the same cycle won
        return None, ALREADY_IN_CYCLE


# --- running sagas ----------------------------------------------------------------------
@HANDLERS.command(commands.DrivePayoutSagas)
def drive_payout_sagas(cmd: commands.DrivePayoutSagas, uow, ledger, psp, clock,
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


def _claim(uow, clock, payout_id: str, owner: str, lease: timedelta) -> Payout | None:
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
def retry_payout(cmd: commands.RetryPayout, uow, clock) -> None:
    with uow:
        payout = uow.payouts.get(cmd.payout_id, for_update=True)
        if payout is None:
            raise _unknown(cmd.payout_id)
        if payout.retry(clock()):
            uow.payouts.save(payout)
        uow.commit()


# --- partner replica --------------------------------------------------------------------
@HANDLERS.command(commands.FollowPartner)
def follow_partner(cmd: commands.FollowPartner, uow, clock) -> None:
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
def get_payout(query: queries.GetPayout, uow) -> dict:
    with uow.read() as conn:
        found = views.payout(conn, query.payout_id)
    if found is None:
        raise _unknown(query.payout_id)
    return found


@HANDLERS.query(queries.ListPayouts)
def list_payouts(query: queries.ListPayouts, uow) -> dict:
    with uow.read() as conn:
        return views.payouts_page(conn, query)


def _unknown(payout_id: str) -> NotFound:
    return NotFound(f"Payout {payout_id} does not exist.", {"payout_id": ["Unknown."]})
