"""``stats_changed``: the daily stats rows that changed leave in batches, whole, each with
a revision that only goes up; a row is published again only once it changed again."""
from decimal import Decimal

import pytest

from common.contracts.tracking import STATS_CHANGED
from common.seedwork.application.bus import MessageBus
from services.tracking.application import commands
from services.tracking.application.handlers import HANDLERS
from services.tracking.application.settings import TrackingSettings
from services.tracking.domain.clicks import ClickRequest
from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.stats import StatsSnapshot
from tests.clock import Clock
from tests.unit.tracking.builders import BRAND, NOW, target
from tests.unit.tracking.fakes import fake_uow

SETTINGS = TrackingSettings(rules=FraudRules(max_clicks_per_minute=None,
                                             min_seconds_to_convert=None,
                                             self_referral=False))


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def bus(uow):
    return MessageBus(uow, HANDLERS, {"clock": Clock(NOW), "settings": SETTINGS})


def click(bus, referral, n=1):
    code = referral.enrollment.referral_code
    bus.handle(commands.RecordClicks(clicks=tuple(
        ClickRequest(referral_code=code, ip=f"10.0.0.{i}", user_agent="UA")
        for i in range(n))))


def publish(bus, uow, max_rows=500) -> list[dict]:
    before = len(uow.committed_events)
    bus.handle(commands.PublishStatsChanges(max_rows=max_rows))
    events = uow.committed_events[before:]
    assert all(e.type == "stats_changed" for e in events)
    return [STATS_CHANGED.parse(e.payload) for e in events]


def test_nothing_changed_nothing_published(bus, uow):
    assert publish(bus, uow) == []


def test_changed_rows_leave_whole_with_their_revision_once(bus, uow):
    referral = uow.references.add_target(target())
    click(bus, referral, 3)
    bus.handle(commands.RecordConversion(brand_id=BRAND, order_id="o-1",
                                         amount=Decimal("50.00"), currency="EUR",
                                         referral_code=referral.enrollment.referral_code))
    [event] = publish(bus, uow)
    [row] = event["rows"]
    assert (row["partner_id"], row["campaign_id"], row["brand_id"], row["day"]) == (
        referral.enrollment.partner_id, referral.campaign.campaign_id, BRAND, NOW.date())
    assert (row["clicks"], row["valid_clicks"], row["conversions"]) == (3, 3, 1)
    assert row["revenue"] == {"amount": Decimal("50.00"), "currency": "EUR"}
    assert row["revision"] == 2  # the clicks' batch, then the conversion
    assert publish(bus, uow) == []  # unchanged since: not again

    click(bus, referral)
    [again] = publish(bus, uow)
    assert again["rows"][0]["clicks"] == 4 and again["rows"][0]["revision"] == 3


def test_many_rows_leave_in_batches_of_max_rows(bus, uow):
    for _ in range(5):
        click(bus, uow.references.add_target(target()))
    events = publish(bus, uow, max_rows=2)
    assert [len(e["rows"]) for e in events] == [2, 2, 1]
    assert not uow.stats.any_changed()


def test_a_row_changed_while_its_batch_was_built_stays_marked(uow):
    referral = uow.references.add_target(target())
    bus = MessageBus(uow, HANDLERS, {"clock": Clock(NOW), "settings": SETTINGS})
    click(bus, referral)
    [row] = uow.stats.changed(10)
    click(bus, referral)  # revision 2 now; the batch carries 1
    uow.stats.publish(StatsSnapshot.of([row], NOW))
    assert uow.stats.any_changed()
