"""The platform under faults (issue 8, scenarios 1, 2 and 4-7), every service a real
`nameko run` process on the real broker:

1. duplicate delivery -- conversion_attributed and partner_enrolled published again 3x,
   the payout steps called 3x with one payout id, a payout run sent 3x at once;
2. a crash (SIGKILL) after the commit and before the publish, in tracking, then in
   commissions;
4. commissions down while 200 conversions are attributed, then started on the backlog;
5. a transient handler failure (campaigns stopped: reserve_budget times out) retried to
   success; a permanent one dead-lettered, listed and replayed once after the fix;
6. a stopped service: a typed ServiceUnavailable for a service calling it, a 503 JSON
   error from the BFF, after about the RPC timeout; a sign-up cut short by it, finished
   by signing up again;
7. the payout saga: a crash after each step's call (hold, pay, confirm, compensate), a
   PSP decline compensated, a compensation that fails (COMPENSATION_FAILED, visible,
   retried) -- and every payout pays once.

One platform for the module (starting six services is the slow part). Each scenario
builds its own brand, campaign and partners (the saga ones in their own currency, as a
payout run takes every payable partner of a currency), injects its fault, and counts
lost / duplicated / unexpected effects with the checker: all must be 0.
"""
from __future__ import annotations

import signal
import time
import uuid
from decimal import Decimal

import eventlet
import pytest

from common.nameko.dead_letters import replay
from common.nameko.events import handler_queue_name
from common.seedwork.errors import BusinessRuleViolation, ServiceUnavailable
from tests.reliability import witness as witness_service
from tests.reliability.checker import assert_clean, check
from tests.reliability.conftest import scale
from tests.reliability.platform import Platform
from tests.reliability.scenarios import (
    assert_error_shape,
    assert_paid_once,
    at_once,
    budget_reserved,
    commission_conversions,
    commissions_by_status,
    crashed,
    dead_lettered,
    eventually,
    forced_declines,
    forget,
    get_payout,
    owed,
    payable_partner,
    relaunch_payouts,
    retry_tolerating_a_crash,
    rpc_timeout,
    settle,
    subjects,
    timed_get,
    wait_approved,
    wait_commissions,
    world,
)
from tests.support import wait_for

# commissions' and tracking's handler queues for the events the scenarios send again
ATTRIBUTED_QUEUE = handler_queue_name("tracking", "conversion_attributed", "commissions",
                                      "on_conversion_attributed")
ENROLLED_QUEUE = handler_queue_name("campaigns", "partner_enrolled", "tracking",
                                    "on_partner_enrolled")
MAX_ATTEMPTS = 4  # deliveries before a dead letter (see the platform fixture)
FAIL_ATTRIBUTED = "fail_handler:commissions.on_conversion_attributed"
FLAKY_ATTRIBUTED = "flaky_handler:commissions.on_conversion_attributed"
CRASH_BEFORE_PUBLISH = ("crash_after_commit:conversion_attributed,"
                        "crash_after_commit:commission_created")
BACKENDS = ("partners", "campaigns", "tracking", "commissions", "payouts")


@pytest.fixture(scope="module")
def witness(platform):
    with witness_service.running(platform) as running:
        yield running


# 1. duplicate delivery --------------------------------------------------------------------
def test_duplicate_events_are_applied_once(platform, witness):
    """conversion_attributed and partner_enrolled published again 3x each (as a relay
    that crashed between publish and stamp, or a broker redelivery, would): one
    commission and one budget reservation per conversion, the enrollment replicated once
    (later orders attributed once), each event applied once by the witness's inbox."""
    enrolled_probe = platform.event_probe("campaigns", "partner_enrolled")
    attributed_probe = platform.event_probe("tracking", "conversion_attributed")
    campaign, [(partner, code)] = world(platform)
    conversions = [platform.convert(campaign, code, click=False)["conversion_id"]
                   for _ in range(scale(2, 20))]
    wait_commissions(platform, [partner], len(conversions))

    [enrolled] = [m for m in enrolled_probe.drain()
                  if m["payload"]["partner_id"] == partner.partner_id]
    attributed = wait_for(lambda: len(found := [
        m for m in attributed_probe.drain() if m["payload"]["conversion_id"] in conversions
    ]) == len(conversions) and found, message="the conversion_attributed envelopes")
    copies = [("campaigns", enrolled), *[("tracking", envelope) for envelope in attributed]]
    for source, envelope in copies:
        platform.publish_raw(source, envelope, times=3)
    wait_for(lambda: all(witness.deliveries(envelope["event_id"]) >= 4
                         for _, envelope in copies), timeout=30,
             message="every copy at the witness")
    settle(platform, ("tracking", "commissions"), [ATTRIBUTED_QUEUE, ENROLLED_QUEUE])

    # tracking knows the code once: a new order is attributed, and announced, once
    forget(attributed_probe)
    later = platform.convert(campaign, code, click=False)
    assert (later["status"], later["partner_id"]) == ("ATTRIBUTED", partner.partner_id)
    conversions.append(later["conversion_id"])
    wait_commissions(platform, [partner], len(conversions))
    assert_clean(check("duplicates: a later order attributed by tracking",
                       [later["conversion_id"]], subjects(attributed_probe, "conversion_id")))

    assert_clean(check("duplicates: commissions", conversions,
                       commission_conversions(platform, [partner])))
    # one reservation per commission: the budget holds what the commissions owe
    assert budget_reserved(platform, campaign) == owed(platform, [partner]) == len(
        conversions) * Decimal(10)
    enrollment_id = enrolled["payload"]["enrollment_id"]
    assert_clean(check("duplicates: applied by the witness (inbox)",
                       [enrollment_id, *conversions],
                       [s for s in witness.applied("partner_enrolled")
                        + witness.applied("conversion_attributed")
                        if s in {enrollment_id, *conversions}]))
    # and nothing failed on the way (a copy that raised would end as a dead letter)
    assert_clean(check("duplicates: dead letters", [], [
        *dead_lettered(platform, "commissions", "conversion_id", conversions),
        *dead_lettered(platform, "tracking", "enrollment_id", [enrollment_id])]))


def test_repeated_payout_steps_hold_and_pay_once(platform, witness):
    """The payout saga's steps delivered three times with one payout id (a saga repeating
    a step whose answer it lost does exactly that): hold_for_payout and confirm_payout
    called 3x at once, then a payout run of one cycle sent 3x at once: one hold, one
    commission_paid per commission, one PSP payment per payout."""
    paid_probe = platform.event_probe("commissions", "commission_paid")
    campaign, [(direct, code), (via_saga, saga_code)] = world(platform, 2, currency="EUR")
    for referral in (code, code, saga_code):
        platform.convert(campaign, referral, click=False, currency="EUR")
    approved = wait_approved(platform, direct, 2)
    approved_via_saga = wait_approved(platform, via_saga, 1)

    payout_id = str(uuid.uuid4())
    holds = at_once(platform, 3, lambda rpc: rpc.commissions.hold_for_payout({
        "payout_id": payout_id, "partner_id": direct.partner_id, "currency": "EUR",
        "min_amount": "0"}))
    assert [(h["status"], sorted(h["commission_ids"])) for h in holds] == [
        ("HELD", sorted(approved))] * 3
    confirms = at_once(platform, 3, lambda rpc: rpc.commissions.confirm_payout(payout_id))
    assert [c["status"] for c in confirms] == ["CONFIRMED"] * 3
    with platform.rpc() as rpc:  # a late repeat of the first step changes nothing
        assert rpc.commissions.hold_for_payout({
            "payout_id": payout_id, "partner_id": direct.partner_id,
            "currency": "EUR"})["status"] == "CONFIRMED"

    cycle = f"dup-{uuid.uuid4().hex[:8]}"
    saga_payout = platform.start_payout(via_saga, "EUR", cycle)
    runs = at_once(platform, 3, lambda rpc: rpc.payouts.run_payouts(
        {"currency": "EUR", "cycle": cycle, "min_amount": "0"}))
    assert all(via_saga.partner_id not in {s["partner_id"] for s in run["started"]}
               for run in runs)
    platform.wait_payout(saga_payout, "PAID")
    with platform.rpc() as rpc, pytest.raises(BusinessRuleViolation):
        rpc.payouts.retry_payout(saga_payout)

    commissions = approved + approved_via_saga
    wait_for(lambda: len(paid_probe.drain()) >= len(commissions), message="commission_paid")
    assert_clean(check("repeated payout steps: commission_paid", commissions,
                       subjects(paid_probe, "commission_id")))
    assert_clean(check("repeated payout steps: applied by the witness", commissions,
                       [s for s in witness.applied("commission_paid") if s in commissions]))
    assert_clean(check("repeated payout steps: PSP payments", [saga_payout],
                       platform.psp_payments(via_saga) + platform.psp_payments(direct)))
    for partner, amount in ((direct, "20.00"), (via_saga, "10.00")):
        balance = platform.balance(partner, "EUR")
        assert (balance["paid"], balance["approved"], balance["in_payout"]) == (
            amount, "0.00", "0.00")


# 2. crash after the commit, before the publish --------------------------------------------
def test_events_committed_before_a_crash_are_published_after_restart(platform, witness):
    """tracking is SIGKILLed right after committing a conversion (conversion_attributed
    in its outbox, unpublished); restarted, its outbox sweep publishes the event, and
    commissions -- itself killed right after committing the commission, before
    commission_created left -- earns it once, and publishes commission_created once
    after its own restart. The brand's retry of the order is answered, not doubled."""
    attributed_probe = platform.event_probe("tracking", "conversion_attributed")
    created_probe = platform.event_probe("commissions", "commission_created")
    campaign, [(partner, code)] = world(platform)
    platform.stop_services("tracking", "commissions")
    platform.start_services("tracking", "commissions",
                            extra_env={"ALPES_FAULTS": CRASH_BEFORE_PUBLISH})

    order_id = f"crash-{uuid.uuid4().hex[:10]}"
    with platform.rpc() as rpc:  # the brand's postback: no answer ever comes
        rpc.tracking.record_conversion.call_async(Platform._order(
            campaign, code, amount="100.00", currency="USD", order_id=order_id))
        assert platform.wait_exited("tracking") == -signal.SIGKILL
    assert subjects(attributed_probe, "conversion_id") == []  # committed, never published

    platform.start_services("tracking")  # without the fault: the sweep publishes it
    conversion = platform.convert(campaign, code, click=False, order_id=order_id)  # retry
    assert conversion["status"] == "ATTRIBUTED"
    expected = [conversion["conversion_id"]]
    eventually(lambda: attributed_probe.drain())
    assert_clean(check("crash before publish: conversion_attributed", expected,
                       subjects(attributed_probe, "conversion_id")))

    assert platform.wait_exited("commissions") == -signal.SIGKILL  # after its commit
    assert subjects(created_probe, "conversion_id") == []
    platform.start_services("commissions")  # the redelivery is a no-op, the sweep publishes
    eventually(lambda: created_probe.drain())
    assert_clean(check("crash before publish: commission_created", expected,
                       subjects(created_probe, "conversion_id")))
    assert_clean(check("crash before publish: commissions", expected,
                       commission_conversions(platform, [partner])))
    commission_id = platform.commissions_of(partner)[0]["commission_id"]
    assert_clean(check("crash before publish: applied by the witness",
                       [conversion["conversion_id"], commission_id],
                       [s for s in witness.applied("conversion_attributed")
                        + witness.applied("commission_created")
                        if s in {conversion["conversion_id"], commission_id}]))
    assert budget_reserved(platform, campaign) == owed(platform, [partner]) == Decimal("10.00")


# 4. consumer down -------------------------------------------------------------------------
def test_commissions_down_while_conversions_flow(platform):
    """commissions is stopped while 200 conversions are attributed (their events wait in
    its declared queue); started again, it works through the backlog: one commission
    and one budget reservation per attributed conversion."""
    campaign, enrolled = world(platform, partners=2)
    partners, codes = [p for p, _ in enrolled], [c for _, c in enrolled]
    total = scale(200, 2000)
    platform.stop_services("commissions")
    answers, errors = platform.convert_many(campaign, codes, total, clients=5)
    assert not errors and len(answers) == total
    assert {a["status"] for a in answers} == {"ATTRIBUTED"}
    attributed = [a["conversion_id"] for a in answers]
    wait_for(lambda: platform.ready_messages(ATTRIBUTED_QUEUE) == total, timeout=60,
             message="the backlog in commissions' queue")

    platform.start_services("commissions")
    wait_commissions(platform, partners, total, timeout=scale(90, 600))
    assert_clean(check("consumer down: commissions", attributed,
                       commission_conversions(platform, partners)))
    assert budget_reserved(platform, campaign) == owed(platform, partners) == total * Decimal(10)
    assert dead_lettered(platform, "commissions", "conversion_id", attributed) == []


# 5. handler failures ----------------------------------------------------------------------
def test_a_transient_failure_is_retried_until_it_succeeds(platform):
    """commissions' conversion handler fails on the first delivery of every event (a
    transient failure: commissions no longer calls campaigns on this path, so an outage
    of campaigns cannot be the cause any more) and is retried with backoff: every
    conversion earns exactly one commission, nothing dead-lettered."""
    campaign, [(partner, code)] = world(platform)
    failed_attempt = "commissions.on_conversion_attributed failed (attempt 1/"
    failed_before = platform.logs("commissions").count(failed_attempt)
    platform.restart("commissions", extra_env={"ALPES_FAULTS": FLAKY_ATTRIBUTED})
    total = scale(20, 200)
    answers, errors = platform.convert_many(campaign, [code], total, clients=4)
    assert not errors and {a["status"] for a in answers} == {"ATTRIBUTED"}
    wait_for(lambda: platform.logs("commissions").count(failed_attempt) > failed_before,
             timeout=30, message="a first attempt failing")

    attributed = [a["conversion_id"] for a in answers]
    wait_commissions(platform, [partner], total, timeout=scale(60, 300))
    assert_clean(check("transient failure: commissions", attributed,
                       commission_conversions(platform, [partner])))
    assert {c["status"] for c in platform.commissions_of(partner)} <= {"PENDING", "APPROVED"}
    assert budget_reserved(platform, campaign) == owed(platform, [partner]) == total * Decimal(10)
    assert dead_lettered(platform, "commissions", "conversion_id", attributed) == []


def test_a_permanent_failure_is_dead_lettered_and_replayed_once(platform):
    """commissions' conversion handler fails every time (a bug): each event is tried
    MAX_ATTEMPTS times, then dead-lettered with its error, and listed. After the fix
    (restart without the fault) a replay earns each commission once; a second replay
    finds nothing."""
    campaign, [(partner, code)] = world(platform)
    platform.restart("commissions", extra_env={"ALPES_FAULTS": FAIL_ATTRIBUTED})
    total = scale(5, 50)
    answers, errors = platform.convert_many(campaign, [code], total, clients=1)
    assert not errors
    attributed = [a["conversion_id"] for a in answers]

    def listed():
        letters = [letter for letter in platform.dead_letters("commissions")
                   if letter["message"].get("payload", {}).get("conversion_id") in attributed]
        return len(letters) == total and letters

    letters = wait_for(listed, timeout=60, interval=0.3, message="the dead letters")
    assert {(letter["handler"], letter["attempts"], letter["event_type"]) for letter in letters
            } == {("commissions.on_conversion_attributed", MAX_ATTEMPTS, "conversion_attributed")}
    assert all("fault injection" in letter["error"] for letter in letters)
    assert platform.commissions_of(partner) == []

    platform.restart("commissions")  # the fix
    replayed = replay(platform.amqp_uri, replay_all=True, services=["commissions"])
    assert_clean(check("permanent failure: replayed", attributed,
                       [r["message"]["payload"]["conversion_id"] for r in replayed]))
    wait_commissions(platform, [partner], total)
    assert replay(platform.amqp_uri, replay_all=True, services=["commissions"]) == []
    assert_clean(check("permanent failure: commissions after the replay", attributed,
                       commission_conversions(platform, [partner])))
    assert budget_reserved(platform, campaign) == owed(platform, [partner]) == total * Decimal(10)


# 6. RPC target down -----------------------------------------------------------------------
def test_a_stopped_service_is_a_typed_timeout_and_a_503(platform):
    """A service calling a stopped one (payouts -> commissions.list_payable) gets the
    typed ServiceUnavailable naming it, after about the RPC timeout; the BFF answers
    503 JSON for a route of each stopped service; all answer again once restarted."""
    brand = platform.new_brand()
    partner = platform.new_partner()
    routes = {
        "partners": (f"/api/v1/partners/{partner.partner_id}", partner.token),
        "campaigns": (f"/api/v1/brands/{brand.brand_id}/campaigns", brand.token),
        "tracking": (f"/api/v1/partners/{partner.partner_id}/conversions", partner.token),
        "commissions": (f"/api/v1/partners/{partner.partner_id}/balance", partner.token),
        "payouts": (f"/api/v1/partners/{partner.partner_id}/payouts", partner.token),
    }
    bound = 3 * rpc_timeout(platform)  # the timeout plus generous slack: not a benchmark

    platform.stop_services("commissions")
    with platform.rpc(timeout=30) as rpc, pytest.raises(ServiceUnavailable) as raised:
        started = time.monotonic()
        rpc.payouts.run_payouts({"currency": "SEK", "cycle": "target-down"})
    waited = time.monotonic() - started
    print(f"payouts -> commissions (stopped): ServiceUnavailable after {waited:.2f} s")
    assert raised.value.fields == {"service": ["commissions"]}
    assert waited < bound

    platform.stop_services(*(s for s in BACKENDS if s != "commissions"))
    answers = dict(eventlet.GreenPool(len(routes)).imap(
        lambda item: (item[0], timed_get(platform, *item[1])), routes.items()))
    unavailable = []
    for service, (response, waited) in answers.items():
        print(f"BFF -> {service} (stopped): {response.status_code} after {waited:.2f} s")
        assert response.status_code == 503, (service, response.text)
        assert_error_shape(response, "service_unavailable")
        assert waited < bound
        unavailable += response.json()["error"]["fields"]["service"]
    health = platform.request("GET", "/health")
    assert health.status_code == 503
    assert {s for s, part in health.json()["services"].items()
            if part["status"] == "unavailable"} == set(BACKENDS)

    platform.start_services(*BACKENDS)
    recovered = [service for service, (path, token) in routes.items()
                 if platform.request("GET", path, token).status_code == 200]
    assert_clean(check("RPC target down: 503 naming the stopped service", BACKENDS,
                       unavailable))
    assert_clean(check("RPC target down: answered again after restart", BACKENDS, recovered))


def test_a_sign_up_cut_short_by_a_stopped_partners_is_finished_by_signing_up_again(platform):
    """A partner signs up with a password while partners is stopped: 503, after the
    account was made. Once partners runs again (the request it missed may be applied
    then, or not), a stranger's password finishes nothing, and the same sign-up again
    answers 201 with the partner the account was made for, registered once."""
    email = f"cut-{uuid.uuid4().hex[:8]}@example.com"
    body = {"name": "Cut Short", "email": email, "type": "media", "country": "ES",
            "password": "correct horse battery staple"}
    platform.stop_services("partners")
    cut = platform.request("POST", "/api/v1/partners/signup", json=body)
    assert cut.status_code == 503, cut.text
    platform.start_services("partners")
    stranger = platform.request("POST", "/api/v1/partners/signup",
                                json={**body, "password": "a stranger's long passphrase"})
    assert stranger.status_code == 409, stranger.text
    finished = platform.request("POST", "/api/v1/partners/signup", json=body)
    assert finished.status_code == 201, finished.text
    signed = finished.json()
    partner_id = signed["partner"]["partner_id"]
    assert signed["account"]["partner_id"] == partner_id
    registered = platform.sql("partners", "SELECT id FROM partners WHERE email = ?", email)
    assert_clean(check("sign-up cut short: one partner, the account's", [partner_id],
                       [row[0] for row in registered]))
    login = platform.request("POST", "/api/v1/auth/login",
                             json={"email": email, "password": body["password"]})
    assert login.status_code == 200, login.text


# 7. saga faults ---------------------------------------------------------------------------
def test_a_crash_after_each_saga_step_resumes_to_one_payment(platform):
    """payouts is SIGKILLed after the hold call, then (resumed) after the PSP call, then
    after the confirm call -- each time before recording the outcome. Every resume
    repeats the step with the same payout id: one hold, one payment, all PAID once."""
    partner, commission_ids = payable_partner(platform, "GBP")
    paid_probe = platform.event_probe("commissions", "commission_paid")
    relaunch_payouts(platform, wait=True, ALPES_FAULTS="crash_after_hold_call")
    payout_id = platform.start_payout(partner, "GBP", f"crash-{uuid.uuid4().hex[:8]}")
    for next_fault in ("crash_after_psp_call", "crash_after_confirm_call", ""):
        assert crashed(platform)
        relaunch_payouts(platform, wait=not next_fault, ALPES_FAULTS=next_fault)

    assert_paid_once(platform, paid_probe, partner, payout_id, commission_ids, "GBP",
                     "crash at each saga step")
    steps = [(e["step"], e["outcome"]) for e in get_payout(platform, payout_id)["saga_log"]]
    assert completed_steps(steps) == ["hold", "pay", "confirm"]  # each recorded once


def completed_steps(steps: list[tuple[str, str]]) -> list[str]:
    """The saga's steps in the order they succeeded. A step may be logged ERROR first
    (its outcome unknown: on a loaded machine its RPC can time out, and the saga repeats
    it, which is its job); it must then succeed once, before the next step starts, and
    never fail definitively."""
    done: list[str] = []
    for step, outcome in steps:
        if step not in ("hold", "pay", "confirm"):
            continue
        assert outcome in ("OK", "ERROR"), (step, outcome, steps)
        assert step not in done, f"{step} logged again after it succeeded: {steps}"
        if outcome == "OK":
            done.append(step)
    return done


def test_psp_decline_compensation_failure_and_retry(platform):
    """The PSP declines twice (PSP_FORCED_FAILURES). First decline: payouts is killed
    before recording it; resumed, the PSP declines again and the compensation
    (release_payout) meets commissions stopped -> COMPENSATION_FAILED, visible in
    get_payout, list_payouts and the log, commissions still held. An operator retries:
    payouts is killed after the release call; resumed, the release is repeated -> FAILED,
    commissions APPROVED again, the balance as before. The next run of the cycle pays
    once."""
    partner, commission_ids = payable_partner(platform, "CHF")
    paid_probe = platform.event_probe("commissions", "commission_paid")
    before = platform.balance(partner, "CHF")
    psp = {"PSP_FORCED_FAILURES": str(forced_declines(platform) + 2)}
    cycle = f"decline-{uuid.uuid4().hex[:8]}"

    relaunch_payouts(platform, wait=True, **psp, ALPES_FAULTS="crash_after_psp_call")
    payout_id = platform.start_payout(partner, "CHF", cycle)
    assert crashed(platform)  # declined (1st), not recorded

    platform.stop_services("commissions")
    relaunch_payouts(platform, wait=True, **psp)  # resumes: declined (2nd), release fails
    failed = platform.wait_payout(payout_id, "COMPENSATION_FAILED")
    with platform.rpc() as rpc:
        listed = rpc.payouts.list_payouts({"status": "COMPENSATION_FAILED"})["items"]
    assert payout_id in [p["payout_id"] for p in listed]
    [compensation] = [e for e in failed["saga_log"] if e["step"] == "compensate"]
    assert compensation["outcome"] == "FAILED"
    assert "ServiceUnavailable" in compensation["detail"]["error"]
    assert f"payout {payout_id}: compensation failed" in platform.logs("payouts")
    platform.start_services("commissions")
    assert set(commissions_by_status(platform, partner).values()) == {"IN_PAYOUT"}

    relaunch_payouts(platform, wait=True, **psp, ALPES_FAULTS="crash_after_release_call")
    retry_tolerating_a_crash(platform, payout_id)
    assert crashed(platform)  # released, not recorded
    relaunch_payouts(platform, wait=True, **psp)  # resumes the compensation: released again
    compensated = platform.wait_payout(payout_id, "FAILED")
    assert compensated["reason"] == "forced_failure"
    assert set(commissions_by_status(platform, partner).values()) == {"APPROVED"}
    assert platform.balance(partner, "CHF") == before
    assert platform.psp_payments(partner) == []

    with platform.rpc() as rpc:  # the next run of the cycle retries the same payout
        run = rpc.payouts.run_payouts({"currency": "CHF", "cycle": cycle, "min_amount": "0"})
    assert [(s["partner_id"], s["payout_id"]) for s in run["started"]] == [
        (partner.partner_id, payout_id)]
    assert_paid_once(platform, paid_probe, partner, payout_id, commission_ids, "CHF",
                     "PSP decline and failed compensation")
