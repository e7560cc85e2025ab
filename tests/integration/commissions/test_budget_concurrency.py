"""Many commissions at once on a nearly exhausted budget, on SQLite and PostgreSQL.

24 conversion events are in flight together (12 conversions, each delivered twice) and
commissions handles them on 25 workers at the same time: the campaign budget's row lock
must keep what is owed within the budget, a redelivered conversion must make no second
commission, and exactly one of them must announce the exhaustion.
"""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.nameko.config import db_uri
from common.seedwork.infrastructure.database import Database
from services.commissions.infrastructure.tables import outbox_messages
from services.commissions.service import CommissionsService
from tests.integration.campaigns.support import count
from tests.integration.commissions import tracking_events as tracking
from tests.support import migrated, service_config, wait_for

CPA_7 = {"model": "CPA", "amount": "7.00"}
CONVERSIONS = 12


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    uri = migrated("commissions", make_db_uri(db_kind, "commissions"))
    return service_config(rabbit_config, {"commissions": uri}, max_workers=2 * CONVERSIONS + 1)


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "commissions"))
    yield database
    database.dispose()


def test_concurrent_commissions_never_overspend(config, container_factory, db, event_probe):
    container_factory(CommissionsService, config).start()
    probe = event_probe("commissions", "campaign_budget_exhausted")
    with ClusterRpcProxy(config, timeout=30) as rpc:
        tracking.campaign_budget(config, "50.00", **CPA_7)
        wait_for(lambda: _known(rpc), message="the budget")
        conversions = [tracking.envelope("conversion_attributed", tracking.conversion_attributed(
            f"00000000-0000-4000-8000-{n:012d}", **CPA_7)) for n in range(CONVERSIONS)]
        for message in conversions + conversions:  # every event delivered twice
            tracking.publish(config, message)
        page = wait_for(lambda: (p := rpc.commissions.list_commissions(
            {"campaign_id": tracking.CAMPAIGN, "page_size": 100}))["total"] == CONVERSIONS
            and p, timeout=30, message="a commission per conversion")
        budget = rpc.commissions.get_campaign_budget(tracking.CAMPAIGN)

    statuses = sorted(item["status"] for item in page["items"])
    earned = [s for s in statuses if s != "REJECTED"]
    assert len(earned) == 7  # 7 x 7.00 = 49.00 of the 50.00; the 8th would overspend
    assert statuses.count("REJECTED") == CONVERSIONS - 7
    assert budget["reserved"] == {"amount": "49.00", "currency": "USD"}
    assert budget["remaining"] == {"amount": "1.00", "currency": "USD"}
    assert budget["exhausted"] is True

    assert count(db, outbox_messages,
                 outbox_messages.c.event_type == "campaign_budget_exhausted") == 1
    [exhausted] = wait_for(lambda: probe.drain(settle=0.3), message="the event")
    # announced when less than a 7.00 commission was left: after the 7th grant
    assert exhausted["payload"]["remaining"] == {"amount": "1.00", "currency": "USD"}


def _known(rpc):
    try:
        return rpc.commissions.get_campaign_budget(tracking.CAMPAIGN)
    except Exception:
        return None
