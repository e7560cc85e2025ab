"""The commissions service over the real broker, on SQLite and PostgreSQL, with a fake
campaigns budget. Tracking's events are published here as tracking publishes them."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.seedwork.domain.money import Money
from common.seedwork.errors import Forbidden, NotFound, ValidationError
from services.commissions.service import CommissionsService
from tests.integration.commissions import tracking_events as tracking
from tests.integration.commissions.fake_campaigns import BUDGET, FakeCampaignsService
from tests.support import migrated, service_config, wait_for

PAYOUT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(autouse=True)
def budget():
    BUDGET.reset()
    return BUDGET


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    uri = migrated("commissions", make_db_uri(db_kind, "commissions"))
    return service_config(rabbit_config, {"commissions": uri}, RPC_TIMEOUT_SECONDS=1,
                          COMMISSIONS={"approval_interval_seconds": 0.2,
                                       "release_retry_interval_seconds": 0.3})


@pytest.fixture
def rpc(config, container_factory):
    container_factory(FakeCampaignsService, config).start()
    container_factory(CommissionsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy.commissions


@pytest.fixture
def partner():
    return str(uuid.uuid4())


def commission_of(rpc, partner, status=None):
    page = rpc.list_commissions({"partner_id": partner, **({"status": status} if status else {})})
    return page["items"][0] if page["total"] == 1 else None


def balance(rpc, partner):
    [entry] = rpc.get_balance(partner)["balances"]
    return entry


def attribute(config, partner, **kwargs):
    payload = tracking.conversion_attributed(partner, **kwargs)
    tracking.publish(config, tracking.envelope("conversion_attributed", payload))
    return payload


def test_an_attributed_conversion_earns_a_commission_approved_after_its_hold(
        config, rpc, partner, event_probe):
    probe = event_probe("commissions")
    attribute(config, partner, order="200.00")
    approved = wait_for(lambda: commission_of(rpc, partner, "APPROVED"), message="approval")
    assert approved["amount"] == {"amount": "20.00", "currency": "USD"}
    assert approved["order_amount"] == {"amount": "200.00", "currency": "USD"}
    assert BUDGET.held_by(approved["commission_id"]) == Money.of("20.00", "USD")
    assert balance(rpc, partner) == {"currency": "USD", "pending": "0.00", "approved": "20.00",
                                     "in_payout": "0.00", "paid": "0.00",
                                     "adjustments": "0.00", "payable": "20.00"}
    types = wait_for(lambda: [m["type"] for m in probe.drain()][-2:] == [
        "commission_created", "commission_approved"] and probe.messages, message="events")
    assert [m["payload"]["status"] for m in types] == ["PENDING", "APPROVED"]


def test_the_same_conversion_delivered_three_times_is_one_commission_one_reservation(
        config, rpc, partner, event_probe):
    probe = event_probe("commissions", "commission_created")
    payload = tracking.conversion_attributed(partner)
    message = tracking.envelope("conversion_attributed", payload)
    for _ in range(2):
        tracking.publish(config, message)
    tracking.publish(config, tracking.envelope("conversion_attributed", payload))  # new event id
    wait_for(lambda: commission_of(rpc, partner), message="the commission")
    wait_for(lambda: rpc.get_balance(partner)["balances"], message="the ledger")
    assert len(probe.drain(settle=0.5)) == 1
    assert rpc.list_commissions({"partner_id": partner})["total"] == 1
    assert len(BUDGET.reservations) == 1
    assert balance(rpc, partner)["approved"] == "20.00"


def test_a_campaigns_timeout_is_retried_and_never_doubles(config, rpc, partner):
    BUDGET.slow_calls, BUDGET.slow_seconds = 1, 1.5  # the caller gives up after 1 s
    attribute(config, partner, order="50.00")
    commission = wait_for(lambda: commission_of(rpc, partner), timeout=15,
                          message="the retried commission")
    assert commission["amount"]["amount"] == "5.00"
    assert BUDGET.reserve_calls >= 2 and len(BUDGET.reservations) == 1


def test_an_exhausted_budget_rejects_the_second_commission(config, rpc, partner, event_probe):
    probe = event_probe("commissions", "commission_rejected")
    campaign = str(uuid.uuid4())
    BUDGET.budgets[campaign] = Money.of("15.00", "USD")
    for _ in range(2):
        attribute(config, partner, order="100.00", campaign_id=campaign)
    page = wait_for(lambda: (p := rpc.list_commissions({"campaign_id": campaign}))["total"] == 2
                    and p, message="both commissions")
    statuses = sorted(item["status"] for item in page["items"])
    assert statuses[1] == "REJECTED" and statuses[0] in ("PENDING", "APPROVED")
    [rejected] = wait_for(lambda: probe.drain(), message="commission_rejected")
    assert (rejected["payload"]["reason"], rejected["payload"]["amount"]["amount"]) == (
        "budget_exhausted", "0.00")
    wait_for(lambda: balance(rpc, partner)["payable"] == "10.00", message="the approval")


def test_refunds_reduce_before_payout_and_claw_back_after(config, rpc, partner):
    first = attribute(config, partner, order="200.00")
    commission = wait_for(lambda: commission_of(rpc, partner, "APPROVED"), message="approval")
    publish_refund = lambda payload, *args, **kwargs: tracking.publish(  # noqa: E731
        config, tracking.envelope("conversion_reversed",
                                  tracking.conversion_reversed(payload, *args, **kwargs)))
    publish_refund(first, "50.00")
    wait_for(lambda: balance(rpc, partner)["approved"] == "15.00", message="the reduction")
    wait_for(lambda: BUDGET.held_by(commission["commission_id"]) == Money.of("15", "USD"),
             message="the budget release")

    held = rpc.hold_for_payout({"payout_id": PAYOUT, "partner_id": partner, "currency": "USD"})
    assert (held["status"], held["amount"]["amount"]) == ("HELD", "15.00")
    assert rpc.confirm_payout(PAYOUT)["status"] == "CONFIRMED"
    publish_refund(first, "150.00", total="200.00")
    wait_for(lambda: balance(rpc, partner)["adjustments"] == "-15.00", message="the clawback")
    assert balance(rpc, partner)["paid"] == "15.00"
    assert rpc.get_commission(commission["commission_id"])["status"] == "PAID"

    attribute(config, partner, order="400.00")
    wait_for(lambda: balance(rpc, partner)["approved"] == "40.00", message="a new commission")
    assert rpc.list_payable({"currency": "USD", "min_amount": "25.00"})["items"] == [
        {"partner_id": partner, "payable": "25.00", "approved": "40.00",
         "adjustments": "-15.00"}]


def test_click_batches_respect_the_daily_cap(config, rpc, partner):
    """Two batches of one day, handled concurrently: 10 clicks paid of 13, never more."""
    for valid in (6, 7):
        tracking.publish(config, tracking.envelope(
            "clicks_attributed", tracking.clicks_attributed(partner, valid, cap=10)))
    page = wait_for(lambda: (p := rpc.list_commissions({"partner_id": partner}))["total"] == 2
                    and p, message="two click commissions")
    amounts = sorted(item["amount"]["amount"] for item in page["items"])
    assert amounts in (["2.00", "3.00"], ["1.50", "3.50"])  # whichever batch came first
    wait_for(lambda: balance(rpc, partner)["approved"] == "5.00", message="10 clicks x 0.50")
    wait_for(lambda: sum(BUDGET.held_by(r).amount for r in BUDGET.reservations) == 5,
             message="the unused reservation back")


def test_brand_decisions_are_owned_and_validated(config, rpc, partner):
    attribute(config, partner, hold_days=30)
    commission = wait_for(lambda: commission_of(rpc, partner), message="the commission")
    commission_id, brand = commission["commission_id"], commission["brand_id"]
    with pytest.raises(Forbidden):
        rpc.approve_commission(commission_id, str(uuid.uuid4()))
    with pytest.raises(ValidationError) as error:
        rpc.decline_commission(commission_id, "not-an-id", "  ")
    assert set(error.value.fields) == {"acting_brand_id", "reason"}
    with pytest.raises(NotFound):
        rpc.get_commission(str(uuid.uuid4()))
    assert rpc.get_commission(commission_id)["status"] == "PENDING"
    declined = rpc.decline_commission(commission_id, brand, "test order")
    assert (declined["status"], declined["reason"]) == ("DECLINED", "test order")
    wait_for(lambda: BUDGET.held_by(commission_id).is_zero, message="the release")
    assert balance(rpc, partner)["pending"] == "0.00"
    assert rpc.list_commissions({"brand_id": brand, "status": "DECLINED"})["total"] == 1
    assert rpc.health() == {"service": "commissions", "status": "ok", "database": "ok"}
