"""The commissions service over the real broker, on SQLite and PostgreSQL. Tracking's and
campaigns' events are published here as those services publish them; each campaign's
budget is kept by commissions itself (no other service runs)."""
import uuid

import pytest
import sqlalchemy
from nameko.standalone.rpc import ClusterRpcProxy

from common.seedwork.errors import BusinessRuleViolation, Forbidden, NotFound, ValidationError
from services.commissions.service import CommissionsService
from tests.integration.commissions import tracking_events as tracking
from tests.support import migrated, service_config, wait_for

PAYOUT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    uri = migrated("commissions", make_db_uri(db_kind, "commissions"))
    return service_config(rabbit_config, {"commissions": uri}, RPC_TIMEOUT_SECONDS=1,
                          COMMISSIONS={"approval_interval_seconds": 0.2,
                                       "parked_refunds_interval_seconds": 0.3})


@pytest.fixture
def rpc(config, container_factory):
    container_factory(CommissionsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        tracking.campaign_budget(config, "1000.00")
        wait_for(lambda: known(proxy.commissions, tracking.CAMPAIGN), message="the budget")
        yield proxy.commissions


def known(rpc, campaign_id):
    try:
        return rpc.get_campaign_budget(campaign_id)
    except NotFound:
        return None


def reserved(rpc, campaign_id=tracking.CAMPAIGN) -> str:
    return rpc.get_campaign_budget(campaign_id)["reserved"]["amount"]


@pytest.fixture
def partner():
    return str(uuid.uuid4())


def commission_of(rpc, partner, status=None):
    page = rpc.list_commissions({"partner_id": partner, **({"status": status} if status else {})})
    return page["items"][0] if page["total"] == 1 else None


def parked(config) -> int:
    """Refunds commissions keeps until their commission exists (its own table)."""
    engine = sqlalchemy.create_engine(config["DB_URIS"]["commissions:Base"])
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text(
                "SELECT count(*) FROM parked_refunds")).scalar()
    finally:
        engine.dispose()


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
    assert reserved(rpc) == "20.00"
    assert balance(rpc, partner) == {"currency": "USD", "pending": "0.00", "approved": "20.00",
                                     "in_payout": "0.00", "paid": "0.00",
                                     "adjustments": "0.00", "payable": "20.00"}
    # no hold: approved from the start, said by its one commission_created
    wait_for(lambda: probe.of_type("commission_created"), message="events")
    assert [(m["type"], m["payload"]["status"]) for m in probe.drain(settle=0.5)
            if m["type"].startswith("commission_")] == [("commission_created", "APPROVED")]


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
    assert reserved(rpc) == "20.00"
    assert balance(rpc, partner)["approved"] == "20.00"


def test_a_conversion_of_a_campaign_not_known_yet_waits_for_its_budget(config, rpc, partner):
    campaign = str(uuid.uuid4())
    attribute(config, partner, order="50.00", campaign_id=campaign)  # retried meanwhile
    tracking.campaign_budget(config, "100.00", campaign_id=campaign)
    commission = wait_for(lambda: commission_of(rpc, partner), timeout=15,
                          message="the retried commission")
    assert commission["amount"]["amount"] == "5.00"
    assert reserved(rpc, campaign) == "5.00"


def test_an_exhausted_budget_rejects_the_second_commission(config, rpc, partner, event_probe):
    """CPA 10.00 on a 15.00 budget: the first leaves 5.00, less than any commission can be
    -- the budget is exhausted (said once), the second is refused."""
    probe = event_probe("commissions", "commission_rejected")
    exhausted = event_probe("commissions", "campaign_budget_exhausted")
    campaign = str(uuid.uuid4())
    cpa = {"model": "CPA", "amount": "10.00"}
    tracking.campaign_budget(config, "15.00", campaign_id=campaign, **cpa)
    wait_for(lambda: known(rpc, campaign), message="the budget")
    for _ in range(2):
        attribute(config, partner, order="100.00", campaign_id=campaign, **cpa)
    page = wait_for(lambda: (p := rpc.list_commissions({"campaign_id": campaign}))["total"] == 2
                    and p, message="both commissions")
    statuses = sorted(item["status"] for item in page["items"])
    assert statuses[1] == "REJECTED" and statuses[0] in ("PENDING", "APPROVED")
    [rejected] = wait_for(lambda: probe.drain(), message="commission_rejected")
    assert (rejected["payload"]["reason"], rejected["payload"]["amount"]["amount"]) == (
        "budget_exhausted", "0.00")
    wait_for(lambda: balance(rpc, partner)["payable"] == "10.00", message="the approval")
    assert reserved(rpc, campaign) == "10.00"
    [news] = wait_for(lambda: exhausted.drain(settle=0.3), message="campaign_budget_exhausted")
    assert news["payload"]["remaining"] == {"amount": "5.00", "currency": "USD"}


def test_refunds_reduce_before_payout_and_claw_back_after(config, rpc, partner):
    first = attribute(config, partner, order="200.00")
    commission = wait_for(lambda: commission_of(rpc, partner, "APPROVED"), message="approval")
    publish_refund = lambda payload, *args, **kwargs: tracking.publish(  # noqa: E731
        config, tracking.envelope("conversion_reversed",
                                  tracking.conversion_reversed(payload, *args, **kwargs)))
    publish_refund(first, "50.00")
    wait_for(lambda: balance(rpc, partner)["approved"] == "15.00", message="the reduction")
    assert reserved(rpc) == "15.00"

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


def test_a_refund_that_arrives_before_its_conversion_is_applied_when_it_comes(
        config, rpc, partner):
    """Tracking's two events travel apart: the refund is parked, then applied in the
    transaction that records the commission -- which is stored as the refund left it,
    and the budget keeps only what the commission still owes."""
    attributed = tracking.conversion_attributed(partner, order="200.00")
    tracking.publish(config, tracking.envelope(
        "conversion_reversed", tracking.conversion_reversed(attributed, "50.00")))
    wait_for(lambda: parked(config) == 1, message="the refund parked")
    tracking.publish(config, tracking.envelope("conversion_attributed", attributed))
    commission = wait_for(lambda: commission_of(rpc, partner), message="the commission")
    assert (commission["earned"]["amount"], commission["amount"]["amount"]) == (
        "20.00", "15.00")
    wait_for(lambda: balance(rpc, partner)["approved"] == "15.00", message="the approval")
    assert reserved(rpc) == "15.00"
    assert rpc.get_commission(commission["commission_id"])["amount"]["amount"] == "15.00"


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
    assert reserved(rpc) == "5.00"


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
    assert reserved(rpc) == "0.00"
    assert balance(rpc, partner)["pending"] == "0.00"
    assert rpc.list_commissions({"brand_id": brand, "status": "DECLINED"})["total"] == 1
    assert rpc.health() == {"service": "commissions", "status": "ok", "database": "ok"}


def test_a_brand_approves_several_commissions_at_once_each_on_its_own(config, rpc, partner):
    attribute(config, partner, order="100.00", hold_days=30)
    attribute(config, partner, order="300.00", hold_days=30)
    page = wait_for(lambda: (p := rpc.list_commissions({"partner_id": partner}))["total"] == 2
                    and p, message="both commissions")
    first, second = (item["commission_id"] for item in page["items"])
    brand = page["items"][0]["brand_id"]
    rpc.decline_commission(second, brand, "test order")
    unknown = str(uuid.uuid4())
    answer = rpc.approve_commissions([first, second, first, unknown], brand)
    assert answer["approved"] == [first]
    assert [(r["commission_id"], r["error"]["code"]) for r in answer["refused"]] == [
        (second, "business_rule_violation"), (unknown, "not_found")]
    assert rpc.get_commission(first)["status"] == "APPROVED"
    assert balance(rpc, partner)["approved"] == page["items"][0]["amount"]["amount"]
    with pytest.raises(ValidationError) as bad:
        rpc.approve_commissions([first] * 101, brand)
    assert set(bad.value.fields) == {"commission_ids"}


def test_commissions_are_listed_by_when_they_were_created(config, rpc, partner):
    """``from`` included, ``to`` excluded: consecutive periods never count one twice."""
    attribute(config, partner, order="100.00")
    wait_for(lambda: commission_of(rpc, partner), message="the first commission")
    attribute(config, partner, order="300.00")
    page = wait_for(lambda: (p := rpc.list_commissions({"partner_id": partner}))["total"] == 2
                    and p, message="both commissions")
    newer, older = page["items"]  # newest first
    split = newer["created_at"]

    def amounts(**period):
        listed = rpc.list_commissions({"partner_id": partner, **period})["items"]
        return [item["order_amount"]["amount"] for item in listed]

    assert amounts(**{"from": split}) == ["300.00"]
    assert amounts(to=split) == ["100.00"]
    assert amounts(**{"from": older["created_at"], "to": split}) == ["100.00"]
    with pytest.raises(ValidationError) as refused:
        rpc.list_commissions({"partner_id": partner, "from": split, "to": split})
    assert refused.value.fields == {"to": ["Must be after 'from'."]}


def test_a_brand_s_bonus_is_payable_at_once_once_per_reference_within_the_budget(
        config, rpc, partner, event_probe):
    probe = event_probe("commissions", "commission_created")
    campaign = str(uuid.uuid4())
    tracking.campaign_budget(config, "100.00", campaign_id=campaign)
    wait_for(lambda: known(rpc, campaign), message="the budget")
    bonus = {"reference": "q4-top-seller", "acting_brand_id": tracking.BRAND,
             "campaign_id": campaign, "partner_id": partner,
             "amount": {"amount": "60.00", "currency": "USD"}, "note": "Best quarter"}
    first, again = rpc.award_bonus(bonus), rpc.award_bonus(bonus)
    assert first == again  # a retry answers the same bonus
    assert (first["kind"], first["status"], first["note"], first["model"],
            first["terms_version"]) == ("bonus", "APPROVED", "Best quarter", None, 0)
    assert balance(rpc, partner)["payable"] == "60.00" and reserved(rpc, campaign) == "60.00"
    with pytest.raises(BusinessRuleViolation) as exhausted:
        rpc.award_bonus({**bonus, "reference": "another", "amount": {"amount": "40.01",
                                                                      "currency": "USD"}})
    assert exhausted.value.code == "budget_exhausted"
    assert exhausted.value.fields == {"amount": ["At most 40.00 USD."]}
    with pytest.raises(ValidationError) as bad:
        rpc.award_bonus({**bonus, "reference": "bad one", "amount": {"amount": "-1",
                                                                      "currency": "USD"},
                         "note": " "})
    assert set(bad.value.fields) == {"reference", "amount", "note"}
    with pytest.raises(Forbidden):
        rpc.award_bonus({**bonus, "reference": "x", "acting_brand_id": str(uuid.uuid4())})
    assert reserved(rpc, campaign) == "60.00"
    [created] = wait_for(lambda: probe.drain(settle=0.3), message="commission_created")
    assert (created["payload"]["kind"], created["payload"]["conversion_id"]) == ("bonus", None)
