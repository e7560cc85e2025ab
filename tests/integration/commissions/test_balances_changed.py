"""``balances_changed`` over the real broker, on SQLite and PostgreSQL: the timer
publishes the ledgers and budgets commissions changed, whole, with revisions that only go
up; a budget counts its commissions awaiting approval, and an approval moves it on."""
import uuid
from decimal import Decimal

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts.commissions import BALANCES_CHANGED
from services.commissions.service import CommissionsService
from tests.integration.commissions import tracking_events as tracking
from tests.support import migrated, service_config, wait_for


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    uri = migrated("commissions", make_db_uri(db_kind, "commissions"))
    return service_config(rabbit_config, {"commissions": uri},
                          COMMISSIONS={"balances_changed_interval_seconds": 0.2})


def newest(probe) -> tuple[dict, dict]:
    """The highest revision published of every ledger and budget so far."""
    ledgers, budgets = {}, {}
    for message in probe.of_type("balances_changed"):
        batch = BALANCES_CHANGED.parse(message["payload"])
        for row in batch["ledgers"]:
            key = (row["partner_id"], row["currency"])
            if key not in ledgers or row["revision"] > ledgers[key]["revision"]:
                ledgers[key] = row
        for row in batch["budgets"]:
            if row["campaign_id"] not in budgets or (
                    row["revision"] > budgets[row["campaign_id"]]["revision"]):
                budgets[row["campaign_id"]] = row
    return ledgers, budgets


def test_ledgers_and_budgets_leave_in_batches_and_follow_an_approval(
        config, container_factory, event_probe):
    probe = event_probe("commissions", "balances_changed")
    container_factory(CommissionsService, config).start()
    tracking.campaign_budget(config, "1000.00")
    partner = str(uuid.uuid4())
    for order in ("200.00", "100.00"):
        tracking.publish(config, tracking.envelope("conversion_attributed",
                                                   tracking.conversion_attributed(
                                                       partner, order, hold_days=30)))

    def owed():
        ledgers, budgets = newest(probe)
        budget = budgets.get(tracking.CAMPAIGN)
        return (ledgers, budgets) if budget and budget["pending_count"] == 2 else None

    ledgers, budgets = wait_for(owed, timeout=15, message="two commissions awaiting approval")
    ledger, budget = ledgers[(partner, "USD")], budgets[tracking.CAMPAIGN]
    assert (ledger["pending"], ledger["approved"]) == (Decimal("30.00"), Decimal("0.00"))
    assert budget["pending_amount"]["amount"] == Decimal("30.00")
    assert budget["reserved"]["amount"] == Decimal("30.00")
    assert budget["brand_id"] == tracking.BRAND

    with ClusterRpcProxy(config, timeout=10) as proxy:
        [first, _] = proxy.commissions.list_commissions({"partner_id": partner})["items"]
        proxy.commissions.approve_commission(first["commission_id"], tracking.BRAND)

    def approved():
        ledgers, budgets = newest(probe)
        budget = budgets[tracking.CAMPAIGN]
        return (ledgers, budgets) if budget["pending_count"] == 1 else None

    ledgers, budgets = wait_for(approved, timeout=15, message="the approval")
    assert budgets[tracking.CAMPAIGN]["revision"] > budget["revision"]
    assert ledgers[(partner, "USD")]["revision"] > ledger["revision"]
    assert ledgers[(partner, "USD")]["approved"] + ledgers[(partner, "USD")]["pending"] == (
        Decimal("30.00"))
    count = len(probe.drain(settle=0.8))  # quiet now: nothing more goes out
    assert len(probe.drain(settle=0.6)) == count
