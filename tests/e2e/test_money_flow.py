"""Money end to end: partners, campaigns, tracking, commissions and payouts as `nameko run`
processes over the real broker. A visitor clicks a partner's link and buys; the partner
earns the commission the campaign's terms say, once; payouts pay it once -- through PSP
failures, refunds, redelivered events, an exhausted budget and a payouts process killed
between the PSP call and the confirmation."""
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts.campaigns import PartnerNotActive
from common.nameko.config import db_uri
from common.seedwork.domain.clock import isoformat
from common.seedwork.errors import NotFound
from common.seedwork.infrastructure.database import Database
from services.payouts.infrastructure.psp import SimulatedPsp
from tests.e2e.conftest import config_for
from tests.integration.commissions import tracking_events
from tests.support import wait_for

SERVICES = ("partners", "campaigns", "tracking", "commissions", "payouts")
FAST = {"COMMISSIONS_APPROVAL_INTERVAL": "0.3", "COMMISSIONS_PARKED_REFUNDS_INTERVAL": "0.5",
        "PAYOUTS_SAGA_INTERVAL": "0.3", "PAYOUTS_SAGA_LEASE": "2",
        "PAYOUTS_SAGA_RETRY_DELAY": "1", "PAYOUTS_MIN_AMOUNT": "1.00", "PSP_LATENCY_MS": "0"}
CPS_10 = {"model": "CPS", "rate": "0.10", "attribution_window_days": 30, "hold_days": 0}
CPA_10 = {"model": "CPA", "amount": {"amount": "10.00", "currency": "USD"},
          "attribution_window_days": 30, "hold_days": 0}
VISITOR = "203.0.113.77"


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def attempt(call):
    """The call's result, or None while the events it needs are on their way."""
    try:
        return call()
    except (NotFound, PartnerNotActive):
        return None


class Platform:
    """The platform as its users drive it: brands, partners, visitors and operators."""

    def __init__(self, rpc, config):
        self.rpc = rpc
        self.config = config
        self.orders = 0
        self.brands = 0

    # brands and partners ---------------------------------------------------------------
    def campaign(self, terms, budget="1000.00"):
        self.brands += 1
        brand_id = self.rpc.campaigns.register_brand(
            {"name": f"Acme {self.brands}", "currency": "USD"})["brand_id"]
        campaign_id = self.rpc.campaigns.create_campaign({
            "brand_id": brand_id, "name": "Winter sale", "currency": "USD",
            "budget": usd(budget), "landing_url": "https://acme.example/winter",
            "terms": terms})["campaign_id"]
        self.rpc.campaigns.activate_campaign(campaign_id, brand_id)
        return brand_id, campaign_id

    def partner(self, name):
        partner_id = self.rpc.partners.register_partner({
            "name": name, "email": f"{name.lower()}@example.com", "type": "influencer",
            "country": "ES", "payout_method": {"type": "paypal", "email": f"{name}@pay.example"},
        })["partner_id"]
        self.rpc.partners.verify_partner(partner_id)
        self.rpc.partners.activate_partner(partner_id)
        return partner_id

    def enroll(self, campaign_id, partner_id):
        return wait_for(lambda: attempt(
            lambda: self.rpc.campaigns.enroll_partner(campaign_id, partner_id)),
            timeout=20, message="the enrollment")["referral_code"]

    # visitors --------------------------------------------------------------------------
    def sale(self, brand_id, code, amount, **order):
        """A click on the partner's link a minute ago, then an order."""
        self.orders += 1
        click = wait_for(lambda: attempt(lambda: self.rpc.tracking.record_click({
            "referral_code": code, "ip": VISITOR, "user_agent": "Mozilla/5.0",
            "occurred_at": isoformat(datetime.now(UTC) - timedelta(minutes=1))})),
            timeout=20, message="tracking to learn the referral code")
        order_id = f"A-{self.orders}"
        conversion = self.rpc.tracking.record_conversion({
            "brand_id": brand_id, "order_id": order_id, "amount": amount, "currency": "USD",
            "click_id": click["click_id"], "customer_ip": VISITOR, **order})
        assert conversion["status"] == "ATTRIBUTED", conversion
        return order_id

    def renewal(self, brand_id, customer_id, amount):
        """A subscription's next payment: the customer, no click, no code."""
        self.orders += 1
        return self.rpc.tracking.record_conversion({
            "brand_id": brand_id, "order_id": f"R-{self.orders}", "amount": amount,
            "currency": "USD", "customer_id": customer_id})

    def refund(self, brand_id, order_id, amount=None):
        return self.rpc.tracking.reverse_conversion(
            {"brand_id": brand_id, "order_id": order_id,
             **({"amount": amount} if amount else {})})

    # what the partner sees -------------------------------------------------------------
    def commissions(self, partner_id, status=None):
        filters = {"partner_id": partner_id, **({"status": status} if status else {})}
        return self.rpc.commissions.list_commissions(filters)["items"]

    def wait_commissions(self, partner_id, count, status="APPROVED"):
        return wait_for(lambda: len(found := self.commissions(partner_id, status)) == count
                        and found, timeout=20, message=f"{count} {status} commission(s)")

    def balance(self, partner_id):
        [entry] = self.rpc.commissions.get_balance(partner_id)["balances"]
        return entry

    # operators -------------------------------------------------------------------------
    def run_payouts(self, cycle, min_amount="1.00"):
        return self.rpc.payouts.run_payouts({"currency": "USD", "cycle": cycle,
                                             "min_amount": min_amount})

    def wait_payout(self, partner_id, cycle, status):
        def found():
            page = self.rpc.payouts.list_payouts({"partner_id": partner_id, "cycle": cycle})
            return page["items"] and page["items"][0]["status"] == status and page["items"][0]

        return wait_for(found, timeout=30, message=f"payout {cycle} {status}")


@pytest.fixture
def money_stack(start_stack, e2e_env):
    """The five services started -> (stack, Platform)."""
    stack = start_stack(*SERVICES, extra_env=FAST)
    config = config_for({**e2e_env, **FAST})
    proxy = ClusterRpcProxy(config, timeout=15)
    yield stack, Platform(proxy.start(), config)
    proxy.stop()


def test_the_money_flow(money_stack, event_probe):
    """One stack for the whole story (starting five services is the slow part)."""
    stack, platform = money_stack
    sales_earn_once_refunds_reduce_or_claw_back_and_payouts_pay_once(
        platform, event_probe("commissions"), event_probe("tracking", "conversion_attributed"))
    an_exhausted_budget_rejects_the_second_commission_and_pauses_the_campaign(stack, platform)
    a_referred_subscribers_renewals_earn_recurring_commissions(platform)
    a_psp_failure_is_compensated_and_a_killed_payout_pays_exactly_once(stack, platform)


def sales_earn_once_refunds_reduce_or_claw_back_and_payouts_pay_once(
        platform, commission_events, attributed):
    brand, campaign = platform.campaign(CPS_10)
    ana = platform.partner("Ana")
    code = platform.enroll(campaign, ana)

    # A click, a 200.00 USD sale: 20.00 APPROVED from the start (hold 0), said by its
    # one commission_created (no commission_approved follows).
    first_order = platform.sale(brand, code, "200.00")
    [commission] = platform.wait_commissions(ana, 1)
    assert commission["amount"] == usd("20.00")
    created = wait_for(lambda: _lifecycle(commission_events), message="the event")
    assert (created["type"], created["payload"]["status"]) == ("commission_created",
                                                               "APPROVED")

    # The same conversion_attributed delivered three times (tracking's delivery, the same
    # message again, the same conversion under a new event id).
    [envelope] = wait_for(lambda: attributed.drain(), message="conversion_attributed")
    tracking_events.publish(platform.config, envelope)
    tracking_events.publish(platform.config, {**envelope, "event_id": str(uuid.uuid4())})

    # A partial refund of 50.00 before the payout: the commission is 15.00.
    second_order = platform.sale(brand, code, "200.00")
    platform.wait_commissions(ana, 2)
    platform.refund(brand, second_order, "50.00")
    wait_for(lambda: platform.balance(ana)["approved"] == "35.00", message="the reduction")
    wait_for(lambda: reserved(platform, campaign) == usd("35.00"), message="the budget released")
    amounts = sorted(c["amount"]["amount"] for c in platform.commissions(ana))
    assert amounts == ["15.00", "20.00"]  # one commission, one reservation per conversion

    # run_payouts: PAID once, commissions PAID, balance paid.
    assert [s["partner_id"] for s in platform.run_payouts("e2e-1")["started"]] == [ana]
    paid = platform.wait_payout(ana, "e2e-1", "PAID")
    assert paid["amount"] == usd("35.00")
    assert {c["status"] for c in platform.commissions(ana)} == {"PAID"}
    assert platform.balance(ana)["paid"] == "35.00"
    assert platform.run_payouts("e2e-1")["started"] == []

    # A full refund after the payout: a -20.00 clawback, netted in the next payout.
    platform.refund(brand, first_order)
    wait_for(lambda: platform.balance(ana)["adjustments"] == "-20.00", message="the clawback")
    platform.sale(brand, code, "300.00")
    platform.wait_commissions(ana, 1)
    platform.run_payouts("e2e-2")
    netted = platform.wait_payout(ana, "e2e-2", "PAID")
    assert netted["amount"] == usd("10.00") and len(netted["adjustment_ids"]) == 1
    assert {k: platform.balance(ana)[k] for k in ("paid", "adjustments", "approved")} == {
        "paid": "45.00", "adjustments": "0.00", "approved": "0.00"}
    assert len(platform.commissions(ana)) == 3  # never a duplicate
    # 20 + 15 + 30 reserved; the 20.00 the second payout recovered goes back to the budget.
    wait_for(lambda: reserved(platform, campaign) == usd("45.00"),
             message="the recovered clawback released")


def a_referred_subscribers_renewals_earn_recurring_commissions(platform):
    # 5.00 an order: Cleo's 10.00 stays below the next story's 15.00 payout threshold
    brand, campaign = platform.campaign({**CPA_10, "amount": usd("5.00"), "recurring_months": 12})
    cleo = platform.partner("Cleo")
    code = platform.enroll(campaign, cleo)
    platform.sale(brand, code, "29.00", customer_id="sub-0042")
    renewal = platform.renewal(brand, "sub-0042", "29.00")
    stranger = platform.renewal(brand, "sub-0099", "29.00")  # nobody referred them
    assert (renewal["status"], renewal["attribution"], renewal["partner_id"]) == (
        "ATTRIBUTED", "customer", cleo)
    assert (stranger["status"], stranger["partner_id"]) == ("UNATTRIBUTED", None)
    earned = platform.wait_commissions(cleo, 2)
    assert renewal["conversion_id"] in {c["conversion_id"] for c in earned}
    assert [c["amount"] for c in earned] == [usd("5.00")] * 2  # the sale and its renewal


def _lifecycle(probe) -> dict | None:
    """The first lifecycle event, once it came (commissions' timers also publish
    balance and budget batches, which may come first on a busy machine)."""
    events = [m for m in probe.drain()
              if m["type"] in ("commission_created", "commission_approved")]
    return events[0] if events else None


def reserved(platform, campaign) -> dict:
    """What the campaign's commissions owe, as commissions keeps its budget."""
    return platform.rpc.commissions.get_campaign_budget(campaign)["reserved"]


def an_exhausted_budget_rejects_the_second_commission_and_pauses_the_campaign(stack, platform):
    brand, campaign = platform.campaign(CPA_10, budget="15.00")
    bea = platform.partner("Bea")
    code = platform.enroll(campaign, bea)
    commissions = stack.processes["commissions"]
    commissions.stop()  # both sales attribute before either commission is priced
    platform.sale(brand, code, "80.00")
    platform.sale(brand, code, "90.00")
    commissions.start()
    stack.wait_ready(["commissions"])
    both = wait_for(lambda: len(found := platform.commissions(bea)) == 2 and found,
                    timeout=20, message="two commissions")
    by_status = {c["status"]: c for c in both}
    assert by_status["REJECTED"]["reason"] == "budget_exhausted"
    assert by_status["REJECTED"]["amount"] == usd("0.00")
    [owed] = [c for c in both if c["status"] in ("PENDING", "APPROVED")]
    assert owed["amount"] == usd("10.00")
    wait_for(lambda: platform.rpc.campaigns.get_campaign(campaign)["status"] == "PAUSED",
             message="the campaign to pause itself (5.00 left < 10.00)")
    assert platform.rpc.commissions.get_campaign_budget(campaign)["remaining"] == usd("5.00")


def a_psp_failure_is_compensated_and_a_killed_payout_pays_exactly_once(stack, platform):
    stack.restart("payouts", extra_env={"PSP_FORCED_FAILURES": "1"})  # declines the next one
    # (Bea's and Cleo's 10.00 from the stories before stay below these runs' 15.00
    # threshold.)
    brand, campaign = platform.campaign(CPS_10)
    cy = platform.partner("Cy")
    code = platform.enroll(campaign, cy)
    platform.sale(brand, code, "200.00")
    platform.wait_commissions(cy, 1)

    # The PSP declines: FAILED, the commission back to APPROVED, the balance unchanged.
    platform.run_payouts("c1", min_amount="15.00")
    failed = platform.wait_payout(cy, "c1", "FAILED")
    paid_before = _payments(platform.config)
    assert failed["reason"] == "forced_failure"
    log = platform.rpc.payouts.get_payout(failed["payout_id"])["saga_log"]
    assert [(s["step"], s["outcome"]) for s in log][-2:] == [("pay", "FAILED"),
                                                             ("compensate", "OK")]
    platform.wait_commissions(cy, 1, "APPROVED")
    assert (platform.balance(cy)["approved"], platform.balance(cy)["paid"]) == ("20.00",
                                                                                "0.00")
    # The next run pays it, once.
    platform.run_payouts("c1", min_amount="15.00")
    platform.wait_payout(cy, "c1", "PAID")
    assert _payments(platform.config) == {**paid_before, failed["payout_id"]: Decimal("20.00")}

    # Killed between the PSP call and the confirmation, then restarted: one payment.
    platform.sale(brand, code, "200.00")
    platform.wait_commissions(cy, 1)
    stack.restart("payouts", extra_env={"ALPES_FAULTS": "crash_after_psp_call"})
    [started] = platform.run_payouts("c2", min_amount="15.00")["started"]
    payouts = stack.processes["payouts"]
    wait_for(lambda: not payouts.running, timeout=20, message="the crash")
    assert started["payout_id"] in _payments(platform.config)  # paid, never confirmed
    stack.restart("payouts", extra_env={"ALPES_FAULTS": ""})
    platform.wait_payout(cy, "c2", "PAID")
    assert _payments(platform.config) == {**paid_before, failed["payout_id"]: Decimal("20.00"),
                                          started["payout_id"]: Decimal("20.00")}
    assert {c["status"] for c in platform.commissions(cy)} == {"PAID"}
    assert {k: platform.balance(cy)[k] for k in ("paid", "in_payout", "approved")} == {
        "paid": "40.00", "in_payout": "0.00", "approved": "0.00"}


def _payments(config):
    database = Database(db_uri(config, "payouts"))
    try:
        return {p["idempotency_key"]: p["amount"] for p in SimulatedPsp(database).payments()}
    finally:
        database.dispose()
