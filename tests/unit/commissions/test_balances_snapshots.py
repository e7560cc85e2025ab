"""``balances_changed``: partner ledgers and campaign budgets that changed leave in
batches, whole, with a revision that only goes up; a budget carries its PENDING
commissions' count and amount, and an approval (which leaves the budget's figures alone)
still moves it to a new revision."""
import uuid
from datetime import timedelta

import pytest

from common.contracts.commissions import BALANCES_CHANGED
from common.seedwork.application.bus import MessageBus
from services.commissions.application import commands
from services.commissions.application.handlers import HANDLERS
from tests.clock import Clock
from tests.unit.commissions.builders import BRAND, CAMPAIGN, NOW, PARTNER, conversion, cps, usd
from tests.unit.commissions.fakes import fake_uow


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def bus(uow, clock):
    bus = MessageBus(uow, HANDLERS, {"clock": clock})
    bus.handle(commands.FollowCampaignBudget(campaign_id=CAMPAIGN, brand_id=BRAND,
                                             total=usd("1000.00"), smallest=usd("0.01"),
                                             revision=1))
    return bus


def publish(bus, uow, max_rows=500) -> list[dict]:
    before = len(uow.committed_events)
    bus.handle(commands.PublishBalancesChanges(max_rows=max_rows))
    events = uow.committed_events[before:]
    assert all(e.type == "balances_changed" for e in events)
    return [BALANCES_CHANGED.parse(e.payload) for e in events]


def test_a_new_budget_then_nothing_changed(bus, uow):
    [event] = publish(bus, uow)
    assert event["ledgers"] == []
    [budget] = event["budgets"]
    assert (budget["campaign_id"], budget["brand_id"], budget["pending_count"]) == (
        CAMPAIGN, BRAND, 0)
    assert publish(bus, uow) == []


def test_a_commission_changes_its_partners_ledger_and_its_campaigns_budget(bus, uow):
    publish(bus, uow)
    bus.handle(conversion("200.00", terms=cps(hold_days=1)))
    bus.handle(conversion("100.00", terms=cps(hold_days=1)))
    [event] = publish(bus, uow)
    [ledger] = event["ledgers"]
    assert (ledger["partner_id"], ledger["currency"]) == (PARTNER, "USD")
    assert (str(ledger["pending"]), str(ledger["approved"])) == ("30.00", "0.00")
    [budget] = event["budgets"]
    assert budget["reserved"] == {"amount": usd("30.00").amount, "currency": "USD"}
    assert (budget["pending_count"], str(budget["pending_amount"]["amount"])) == (2, "30.00")
    assert publish(bus, uow) == []


def test_approval_moves_the_budget_to_a_new_revision_with_nothing_pending(bus, uow, clock):
    publish(bus, uow)
    bus.handle(conversion("200.00", terms=cps(hold_days=1)))
    [before] = publish(bus, uow)
    clock.now += timedelta(days=2)
    assert bus.handle(commands.ApproveDueCommissions()) == 1
    [after] = publish(bus, uow)
    [ledger], [budget] = after["ledgers"], after["budgets"]
    assert (str(ledger["pending"]), str(ledger["approved"])) == ("0.00", "20.00")
    assert ledger["revision"] > before["ledgers"][0]["revision"]
    assert budget["pending_count"] == 0 and str(budget["pending_amount"]["amount"]) == "0.00"
    assert budget["revision"] > before["budgets"][0]["revision"]
    assert budget["updated_at"] == clock.now


def test_a_brand_approving_one_commission_moves_its_budget_too(bus, uow):
    cmd = conversion("200.00", terms=cps(hold_days=30))
    commission_id = bus.handle(cmd)
    publish(bus, uow)
    bus.handle(commands.ApproveCommission(commission_id=commission_id, acting_brand_id=BRAND))
    [event] = publish(bus, uow)
    assert event["budgets"][0]["pending_count"] == 0


def test_many_ledgers_leave_in_batches(bus, uow):
    for _ in range(5):
        bus.handle(conversion("10.00", partner=str(uuid.uuid4())))
    events = publish(bus, uow, max_rows=2)
    assert [len(e["ledgers"]) for e in events] == [2, 2, 1]
    assert [len(e["budgets"]) for e in events] == [1, 0, 0]
