"""The payout saga over the real broker, on SQLite and PostgreSQL: the real partners and
commissions services; tracking's events (and the campaign's budget) published here."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from common.nameko.config import db_uri
from common.seedwork.domain.money import Money
from common.seedwork.errors import NotFound, ValidationError
from common.seedwork.infrastructure.database import Database
from services.commissions.service import CommissionsService
from services.partners.service import PartnersService
from services.payouts.application.ports import PaymentRequest, PaymentResult
from services.payouts.infrastructure.psp import SimulatedPsp, build_psp
from services.payouts.service import PayoutsService
from tests.integration.commissions import tracking_events as tracking
from tests.support import migrated, service_config, wait_for


def psp_settings(forced_failures=0):
    return {"adapter": "simulated", "latency_ms": 0, "failure_rate": 0,
            "forced_failures": forced_failures}


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind, request):
    uris = {name: migrated(name, make_db_uri(db_kind, name))
            for name in ("partners", "commissions", "payouts")}
    forced = getattr(request, "param", 0)
    return service_config(
        rabbit_config, uris, RPC_TIMEOUT_SECONDS=3,
        COMMISSIONS={"approval_interval_seconds": 0.2, "parked_refunds_interval_seconds": 0.5},
        PAYOUTS={"saga_interval_seconds": 0.2, "saga_lease_seconds": 10,
                 "saga_retry_delay_seconds": 0.5, "min_amount": "10.00",
                 "psp": psp_settings(forced)})


@pytest.fixture
def rpc(config, container_factory):
    for service in (PartnersService, CommissionsService, PayoutsService):
        container_factory(service, config).start()
    with ClusterRpcProxy(config, timeout=15) as proxy:
        yield proxy


def active_partner(rpc, **changes):
    partner = {"name": "Ana", "email": f"{uuid.uuid4().hex[:8]}@example.com",
               "type": "affiliate", "country": "ES",
               "payout_method": {"type": "paypal", "email": "ana@pay.example"}, **changes}
    partner_id = rpc.partners.register_partner(partner)["partner_id"]
    rpc.partners.verify_partner(partner_id)
    rpc.partners.activate_partner(partner_id)
    return partner_id


def approved_commission(config, rpc, partner_id, order="200.00"):
    tracking.campaign_budget(config, "1000000.00")  # the same snapshot again changes nothing
    payload = tracking.conversion_attributed(partner_id, order=order)
    tracking.publish(config, tracking.envelope("conversion_attributed", payload))
    wait_for(lambda: rpc.commissions.list_commissions(
        {"partner_id": partner_id, "status": "APPROVED"})["total"], message="approval")
    return payload


def payout_of(rpc, partner_id, status):
    page = rpc.payouts.list_payouts({"partner_id": partner_id, "status": status})
    return page["items"][0] if page["total"] else None


def balance(rpc, partner_id):
    [entry] = rpc.commissions.get_balance(partner_id)["balances"]
    return entry


@pytest.mark.parametrize("config", [1], indirect=True)  # the PSP declines the first payment
def test_a_declined_payment_is_compensated_then_the_next_run_pays_once(config, rpc,
                                                                       event_probe):
    probe = event_probe("payouts")
    ana = active_partner(rpc)
    attributed = approved_commission(config, rpc, ana)
    wait_for(lambda: rpc.payouts.run_payouts({"currency": "USD", "cycle": "c1"})["started"],
             message="the partner replica")
    failed = wait_for(lambda: payout_of(rpc, ana, "FAILED"), message="the failure")
    assert failed["reason"] == "forced_failure"
    assert balance(rpc, ana)["approved"] == "20.00" and balance(rpc, ana)["in_payout"] == "0.00"
    [commission] = rpc.commissions.list_commissions({"partner_id": ana})["items"]
    assert commission["status"] == "APPROVED"

    rerun = rpc.payouts.run_payouts({"currency": "USD", "cycle": "c1"})
    assert [s["payout_id"] for s in rerun["started"]] == [failed["payout_id"]]
    paid = wait_for(lambda: payout_of(rpc, ana, "PAID"), message="the retried payout")
    assert (paid["attempt"], paid["amount"]) == (2, {"amount": "20.00", "currency": "USD"})
    assert paid["psp_reference"].startswith("SIM-")
    log = rpc.payouts.get_payout(paid["payout_id"])["saga_log"]
    assert [(s["attempt"], s["step"], s["outcome"]) for s in log] == [
        (1, "start", "OK"), (1, "hold", "OK"), (1, "pay", "FAILED"), (1, "compensate", "OK"),
        (2, "retry", "OK"), (2, "hold", "OK"), (2, "pay", "OK"), (2, "confirm", "OK")]
    assert balance(rpc, ana)["paid"] == "20.00" and balance(rpc, ana)["approved"] == "0.00"
    [commission] = rpc.commissions.list_commissions({"partner_id": ana})["items"]
    assert (commission["status"], commission["payout_id"]) == ("PAID", paid["payout_id"])
    database = Database(db_uri(config, "payouts"))
    try:
        assert [p["idempotency_key"] for p in SimulatedPsp(database).payments()] == [
            paid["payout_id"]]
    finally:
        database.dispose()

    assert rpc.payouts.run_payouts({"currency": "USD", "cycle": "c1"})["started"] == []
    events = probe.distinct(settle=0.5)
    assert [m["type"] for m in events] == [
        "payout_started", "payout_failed", "payout_started", "payout_paid"]
    # whose commission it pays, as commissions answered the hold (what webhooks scopes by)
    assert events[-1]["payload"]["commission_brands"] == [
        {"commission_id": commission["commission_id"], "brand_id": attributed["brand_id"]}]


def test_suspended_partners_are_skipped_and_input_is_validated(config, rpc):
    ana = active_partner(rpc)
    approved_commission(config, rpc, ana)
    rpc.partners.suspend_partner(ana, "fraud check")
    result = wait_for(lambda: (r := rpc.payouts.run_payouts({"currency": "USD"}))["skipped"]
                      and r["skipped"][0]["reason"] == "partner_suspended" and r,
                      message="the suspension in the replica")
    assert result["started"] == [] and result["min_amount"]["amount"] == "10.00"
    with pytest.raises(ValidationError) as error:
        rpc.payouts.run_payouts({"currency": "XXX", "min_amount": -1, "cycle": "a b"})
    assert set(error.value.fields) == {"currency", "min_amount", "cycle"}
    with pytest.raises(NotFound):
        rpc.payouts.get_payout(str(uuid.uuid4()))
    assert rpc.payouts.health()["status"] == "ok"


def test_the_simulated_psp_remembers_payments_by_idempotency_key(db_kind, make_db_uri):
    database = Database(migrated("payouts", make_db_uri(db_kind, "payouts")))
    try:
        psp = SimulatedPsp(database, forced_failures=1)
        request = PaymentRequest(idempotency_key=str(uuid.uuid4()), payee_id=str(uuid.uuid4()),
                                 payout_method={"type": "paypal", "email": "a@b.co"},
                                 amount=Money.of("20.00", "USD"), description="test")
        assert psp.pay(request).reason == "forced_failure"
        first = psp.pay(request)
        assert first.paid and psp.pay(request) == first
        assert SimulatedPsp(database, forced_failures=1).pay(request) == first  # restarted
        assert len(psp.payments()) == 1
        unlucky = SimulatedPsp(database, failure_rate=1)
        other = PaymentRequest(**{**request.__dict__, "idempotency_key": str(uuid.uuid4())})
        assert unlucky.pay(other) == PaymentResult(False, reason="simulated_decline")
        assert unlucky.pay(request) == first  # a payment made stays made
        with pytest.raises(ValueError):
            build_psp({"adapter": "acme-bank"}, database)
    finally:
        database.dispose()


# --- one payout under way per partner and currency, whatever the cycle ------------------
IN_ANOTHER_CYCLE = "payout_in_progress_in_another_cycle"


def payee_status(database, partner_id):
    with database.reader() as conn:
        return conn.execute(text("SELECT status FROM payees WHERE id = :id"),
                            {"id": partner_id}).scalar()


def test_concurrent_runs_of_two_cycles_start_one_payout_and_say_why_the_other_skips(
        config, container_factory):
    """Both runs see the partner payable; exactly one starts its payout, the other answer
    says it skipped the partner, why, and which payout holds it -- and that payout pays."""
    for service in (PartnersService, CommissionsService):
        container_factory(service, config).start()
    idle = {**config, "PAYOUTS": {**config["PAYOUTS"], "saga_interval_seconds": 3600}}
    payouts = container_factory(PayoutsService, idle)  # no saga holds anything meanwhile
    payouts.start()
    database = Database(db_uri(config, "payouts"))
    try:
        with ClusterRpcProxy(config, timeout=15) as rpc:
            ana = active_partner(rpc)
            approved_commission(config, rpc, ana)
            wait_for(lambda: payee_status(database, ana) == "ACTIVE",
                     message="the partner replica")
            replies = [rpc.payouts.run_payouts.call_async({"currency": "USD", "cycle": cycle})
                       for cycle in ("2026-11", "2026-11-bis")]
            answers = [reply.result() for reply in replies]

        started = [entry for answer in answers for entry in answer["started"]]
        assert [entry["partner_id"] for entry in started] == [ana]
        winner = started[0]["payout_id"]
        [loser] = [answer for answer in answers if not answer["started"]]
        assert loser["skipped"] == [{"partner_id": ana,
                                     "payable": {"amount": "20.00", "currency": "USD"},
                                     "reason": IN_ANOTHER_CYCLE, "payout_id": winner}]

        payouts.stop()
        container_factory(PayoutsService, config).start()  # restarted: the sagas run
        with ClusterRpcProxy(config, timeout=15) as rpc:
            paid = wait_for(lambda: payout_of(rpc, ana, "PAID"), message="the payout")
            assert paid["payout_id"] == winner
            assert rpc.payouts.list_payouts({"partner_id": ana})["total"] == 1
            assert balance(rpc, ana)["paid"] == "20.00"
        assert [p["idempotency_key"] for p in SimulatedPsp(database).payments()] == [winner]
    finally:
        database.dispose()
