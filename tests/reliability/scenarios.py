"""Helpers of the fault scenarios (test_fault_scenarios.py): building a small world
through the platform, reading what the services did, waiting for queues to settle, and
driving payouts through crashes."""
from __future__ import annotations

import signal
import time
from decimal import Decimal

import eventlet
from nameko.exceptions import RpcTimeout

from common.nameko.events import retry_queue_name
from tests.reliability.checker import assert_clean, check
from tests.support import wait_for

# Words that must never reach an HTTP client in an error (internals, tracebacks).
INTERNALS = ("Traceback", "File \"", ".py", "nameko", "RpcTimeout", "ServiceUnavailable",
             "RemoteError", "amqp", "rpc-", "Exception")


# the world, and what the services made of it ----------------------------------------------
def world(platform, partners: int = 1, currency: str = "USD"):
    """A brand, an active CPS 10 % campaign (no hold) and ``partners`` enrolled partners.
    Returns (campaign, [(partner, referral code)])."""
    brand = platform.new_brand(currency)
    campaign = platform.new_campaign(brand, currency=currency)
    enrolled = []
    for _ in range(partners):
        partner = platform.new_partner()
        enrolled.append((partner, platform.enroll(partner, campaign)))
    return campaign, enrolled


def commission_conversions(platform, partners) -> list[str]:
    """The conversion of every commission of these partners, duplicates included."""
    return [c["conversion_id"] for partner in partners for c in platform.commissions_of(partner)]


def wait_commissions(platform, partners, count: int, timeout: float = 60) -> list[str]:
    return wait_for(lambda: len(found := commission_conversions(platform, partners)) >= count
                    and found, timeout=timeout, interval=0.3,
                    message=f"{count} commission(s)")


def wait_approved(platform, partner, count: int) -> list[str]:
    """The partner's commission ids once ``count`` of them are APPROVED (no hold: the
    approval timer's next tick)."""
    return wait_for(lambda: len(found := platform.commissions_of(partner, "APPROVED")) == count
                    and [c["commission_id"] for c in found], timeout=30, interval=0.2,
                    message=f"{count} approved commission(s)")


def budget_reserved(platform, campaign) -> Decimal:
    with platform.rpc() as rpc:
        budget = rpc.commissions.get_campaign_budget(campaign.campaign_id)
    return Decimal(budget["reserved"]["amount"])


def owed(platform, partners) -> Decimal:
    return sum((Decimal(c["amount"]["amount"]) for partner in partners
                for c in platform.commissions_of(partner)), Decimal(0))


def dead_lettered(platform, service: str, field: str, values) -> list[str]:
    """``field`` of the dead letters of ``service`` whose event carries one of ``values``."""
    wanted = set(values)
    return [letter["message"]["payload"][field] for letter in platform.dead_letters(service)
            if letter["message"].get("payload", {}).get(field) in wanted]


# events and queues ------------------------------------------------------------------------
def subjects(probe, field: str, settle: float = 0.5) -> list:
    """``field`` of every event the probe has seen (after ``settle`` s of quiet)."""
    return [message["payload"][field] for message in probe.drain(settle=settle)]


def eventually(predicate, timeout: float = 30) -> bool:
    """Wait for ``predicate`` like wait_for, but let the checker that follows report
    what never came (as lost) instead of failing on the wait."""
    try:
        return bool(wait_for(predicate, timeout=timeout, interval=0.1))
    except AssertionError:
        return False


def forget(probe) -> None:
    """Drop what the probe has seen so far (its copies included)."""
    probe.drain()
    probe.messages.clear()


def settle(platform, services: tuple[str, ...], queues: list[str]) -> None:
    """Until every copy in ``queues`` has been handled AND acknowledged: the queues (and
    their retry queues) are empty, then the consumers stop gracefully -- whatever they
    held unacknowledged goes back to its queue -- and the queues are still empty."""
    queues = queues + [retry_queue_name(queue) for queue in queues]

    def empty() -> bool:
        return all(platform.ready_messages(queue) == 0 for queue in queues)

    while True:
        wait_for(empty, timeout=60, interval=0.2, message="the copies consumed")
        platform.stop_services(*services)
        if empty():
            break
        platform.start_services(*services)
    platform.start_services(*services)


def at_once(platform, times: int, call) -> list:
    """``call(rpc)`` from ``times`` green threads at once, each with its own proxy."""
    def one(_):
        with platform.rpc() as rpc:
            return call(rpc)

    return list(eventlet.GreenPool(times).imap(one, range(times)))


# RPC and HTTP -----------------------------------------------------------------------------
def rpc_timeout(platform) -> float:
    return float(platform.config["RPC_TIMEOUT_SECONDS"])


def timed_get(platform, path: str, token: str):
    started = time.monotonic()
    response = platform.request("GET", path, token)
    return response, time.monotonic() - started


def assert_error_shape(response, code: str) -> None:
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "fields", "request_id"}
    assert error["code"] == code
    assert error["request_id"] == response.headers["X-Request-Id"]
    leaked = [word for word in INTERNALS if word in response.text]
    assert not leaked, (leaked, response.text)


# payouts ----------------------------------------------------------------------------------
def payable_partner(platform, currency: str, amounts=("100.00", "50.00")):
    """A partner with one APPROVED commission per order amount (CPS 10 %, no hold) in
    ``currency``. Returns (partner, its commission ids)."""
    campaign, [(partner, code)] = world(platform, currency=currency)
    for amount in amounts:
        platform.convert(campaign, code, amount=amount, currency=currency, click=False)
    return partner, wait_approved(platform, partner, len(amounts))


def get_payout(platform, payout_id: str) -> dict:
    with platform.rpc() as rpc:
        return rpc.payouts.get_payout(payout_id)


def relaunch_payouts(platform, wait: bool = False, **env) -> None:
    """(Re)start payouts with these settings. A fault may kill it at start-up (its saga
    driver resumes interrupted payouts at once): ``wait`` for it to answer only when no
    fault can fire before it does."""
    if platform.running("payouts"):
        platform.stop_services("payouts")
    platform.start_services("payouts", extra_env=env, wait=wait)


def crashed(platform) -> bool:
    return platform.wait_exited("payouts") == -signal.SIGKILL


def retry_tolerating_a_crash(platform, payout_id: str) -> None:
    """retry_payout; its answer may be lost if the fault kills payouts first (the retry
    is recorded before the saga driver picks it up, so the outcome does not depend on
    the answer)."""
    try:
        with platform.rpc(timeout=5) as rpc:
            rpc.payouts.retry_payout(payout_id)
    except RpcTimeout:
        pass


def forced_declines(platform) -> int:
    """PSP requests declined by PSP_FORCED_FAILURES so far (the PSP counts them across
    restarts: the first N requests ever are declined)."""
    return platform.sql("payouts", "SELECT count(*) FROM psp_requests WHERE reason = ?",
                        "forced_failure")[0][0]


def commissions_by_status(platform, partner) -> dict[str, str]:
    return {c["commission_id"]: c["status"] for c in platform.commissions_of(partner)}


def paid_commissions(platform, partner, currency: str) -> Decimal:
    return sum((Decimal(c["amount"]["amount"]) for c in platform.commissions_of(partner, "PAID")
                if c["amount"]["currency"] == currency), Decimal(0))


def assert_paid_once(platform, probe, partner, payout_id: str, commission_ids, currency,
                     scenario: str) -> None:
    """Exactly one PSP payment for the payout, one commission_paid per commission, and
    the ledger agrees: paid == the PAID commissions == the payout's amount."""
    payout = platform.wait_payout(payout_id, "PAID")
    wait_for(lambda: len([m for m in probe.drain()
                          if m["payload"]["commission_id"] in commission_ids])
             >= len(commission_ids), message="commission_paid")
    paid_events = [m["payload"]["commission_id"] for m in probe.drain(settle=0.5)
                   if m["payload"]["partner_id"] == partner.partner_id]
    assert_clean(check(f"{scenario}: PSP payments", [payout_id],
                       platform.psp_payments(partner)))
    assert_clean(check(f"{scenario}: commission_paid", commission_ids, paid_events))
    assert sorted(payout["commission_ids"]) == sorted(commission_ids)
    balance = platform.balance(partner, currency)
    assert Decimal(balance["paid"]) == paid_commissions(platform, partner, currency) == Decimal(
        payout["amount"]["amount"])
    assert (balance["approved"], balance["in_payout"]) == ("0.00", "0.00")
