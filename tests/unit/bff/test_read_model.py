"""The BFF's read model on in-memory fakes: newest revision wins, batches that arrive out
of order or twice change nothing, sums kept by differences, and the dashboards' pieces."""
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from common.contracts import campaigns, commissions, partners, tracking
from common.contracts.examples import BRAND_ID, CAMPAIGN_ID, PARTNER_ID, example
from common.seedwork.application.bus import MessageBus
from common.seedwork.application.integration import ReceivedEvent
from services.bff.application import inbound, views
from services.bff.application.handlers import HANDLERS
from services.bff.application.projection import (
    Counts,
    LedgerRow,
    StatsRow,
    project_ledgers,
    project_stats,
)
from tests.unit.bff.read_model_fakes import fake_uow

DAY = date(2026, 11, 29)
OTHER_CAMPAIGN = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def stats_row(clicks, revision, *, campaign=CAMPAIGN_ID, day=DAY, revenue="0", partner=PARTNER_ID):
    return StatsRow(partner_id=partner, campaign_id=campaign, day=day, currency="USD",
                    counts=Counts(clicks=clicks, valid_clicks=clicks,
                                  revenue=Decimal(revenue)), revision=revision)


def ledger(pending, approved, revision, at=datetime(2026, 11, 29, 12, tzinfo=UTC)):
    return LedgerRow(partner_id=PARTNER_ID, currency="USD",
                     buckets={"pending": Decimal(pending), "approved": Decimal(approved),
                              "in_payout": Decimal(0), "paid": Decimal(0),
                              "adjustments": Decimal(0)}, revision=revision, updated_at=at)


# --- the rules ----------------------------------------------------------------------------
def test_a_newer_stats_row_replaces_and_moves_its_campaign_by_the_difference():
    first = project_stats({}, [stats_row(3, 1, revenue="10.00")])
    assert first.campaigns == {(CAMPAIGN_ID, DAY, "USD"): Counts(3, 3, 0, 0, Decimal("10.00"))}
    held = {row.key: row for row in first.rows}
    second = project_stats(held, [stats_row(5, 4, revenue="30.00")])
    assert second.campaigns == {(CAMPAIGN_ID, DAY, "USD"): Counts(2, 2, 0, 0, Decimal("20.00"))}


def test_an_older_or_repeated_stats_row_changes_nothing():
    held = {r.key: r for r in project_stats({}, [stats_row(5, 4)]).rows}
    for late in ([stats_row(3, 2)], [stats_row(5, 4)]):
        changes = project_stats(held, late)
        assert changes.rows == [] and changes.campaigns == {}


def test_a_key_twice_in_one_batch_counts_once_at_its_highest_revision():
    changes = project_stats({}, [stats_row(7, 3), stats_row(2, 1)])
    assert [row.revision for row in changes.rows] == [3]
    assert changes.campaigns[(CAMPAIGN_ID, DAY, "USD")].clicks == 7


def test_batches_in_any_order_end_at_the_newest_figures():
    batches = [[stats_row(1, 1)], [stats_row(4, 2), stats_row(2, 1, campaign=OTHER_CAMPAIGN)],
               [stats_row(9, 3)]]
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        held, campaign_days = {}, {}
        for index in order:
            changes = project_stats(held, batches[index])
            held.update({row.key: row for row in changes.rows})
            for key, delta in changes.campaigns.items():
                campaign_days[key] = campaign_days.get(key, Counts()) + delta
        assert campaign_days[(CAMPAIGN_ID, DAY, "USD")].clicks == 9
        assert campaign_days[(OTHER_CAMPAIGN, DAY, "USD")].clicks == 2


def test_earnings_are_what_the_ledger_grew_by_on_its_posting_day():
    first = project_ledgers({}, [ledger("20.00", "0", 1)])
    assert first.earnings == {(PARTNER_ID, DAY, "USD"): Decimal("20.00")}
    held = {row.key: row for row in first.rows}
    approved = project_ledgers(held, [ledger("0", "20.00", 2)])  # same total: earned nothing
    assert approved.earnings == {} and [r.revision for r in approved.rows] == [2]
    refund = project_ledgers({r.key: r for r in approved.rows},
                             [ledger("0", "15.00", 3, at=datetime(2026, 11, 30, tzinfo=UTC))])
    assert refund.earnings == {(PARTNER_ID, date(2026, 11, 30), "USD"): Decimal("-5.00")}
    assert project_ledgers({r.key: r for r in refund.rows}, [ledger("20.00", "0", 1)]).rows == []


# --- events in ----------------------------------------------------------------------------
def received(contract, payload, at="2026-11-29T12:00:00Z") -> ReceivedEvent:
    return ReceivedEvent(event_id=str(uuid.uuid4()), type=contract.name, version=1,
                         source=contract.source, occurred_at=at,
                         data=contract.parse(payload))


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def bus(uow):
    return MessageBus(uow, HANDLERS, {})


def test_a_profile_moves_only_forward_and_keeps_why_it_is_suspended(bus, uow):
    suspended = {**example(partners.PARTNER_SUSPENDED), "revision": 4}
    bus.handle(inbound.profile(received(partners.PARTNER_SUSPENDED, suspended)))
    bus.handle(inbound.profile(received(partners.PARTNER_ACTIVATED,
                                        example(partners.PARTNER_ACTIVATED))))  # revision 3
    held = uow.profiles.rows[PARTNER_ID]
    assert (held["status"], held["suspension_reason"], held["revision"]) == (
        "SUSPENDED", "fraud review", 4)
    changed = {**example(partners.PARTNER_PAYOUT_METHOD_CHANGED), "status": "SUSPENDED",
               "revision": 5}
    bus.handle(inbound.profile(received(partners.PARTNER_PAYOUT_METHOD_CHANGED, changed)))
    assert uow.profiles.rows[PARTNER_ID]["suspension_reason"] == "fraud review"


def test_a_campaign_is_shown_as_its_newest_snapshot_and_ordered_by_its_creation(bus, uow):
    bus.handle(inbound.campaign(received(campaigns.CAMPAIGN_ACTIVATED,
                                         example(campaigns.CAMPAIGN_ACTIVATED),
                                         at="2026-11-29T12:05:00Z")))
    bus.handle(inbound.campaign(received(campaigns.CAMPAIGN_CREATED,
                                         example(campaigns.CAMPAIGN_CREATED),
                                         at="2026-11-29T12:00:00Z")))
    held = uow.campaigns.rows[CAMPAIGN_ID]
    assert held["campaign"]["status"] == "ACTIVE" and held["revision"] == 2
    assert held["created_at"] == datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert held["campaign"]["budget"] == {"amount": "1000.00", "currency": "USD"}
    assert held["campaign"]["updated_at"] == "2026-11-29T12:05:00Z"


def test_an_enrollment_says_why_it_is_suspended_only_while_it_is(bus, uow):
    for contract in (campaigns.ENROLLMENT_SUSPENDED, campaigns.ENROLLMENT_REACTIVATED):
        bus.handle(inbound.enrollment(received(contract, example(contract))))
        held = next(iter(uow.enrollments.rows.values()))["enrollment"]
        assert held["suspension_reason"] == (
            "brand_suspended" if contract is campaigns.ENROLLMENT_SUSPENDED else None)


def test_an_application_s_status_follows_the_newest_of_its_events(bus, uow):
    declined = received(campaigns.ENROLLMENT_DECLINED, example(campaigns.ENROLLMENT_DECLINED))
    requested = received(campaigns.ENROLLMENT_REQUESTED,
                         example(campaigns.ENROLLMENT_REQUESTED))
    bus.handle(inbound.application(declined))
    bus.handle(inbound.application(requested))  # late: revision 1 under 2
    [held] = uow.enrollment_states.rows.values()
    assert (held["status"], held["revision"], held["campaign_id"]) == ("DECLINED", 2,
                                                                        CAMPAIGN_ID)
    enrolled = example(campaigns.PARTNER_ENROLLED)
    bus.handle(inbound.enrollment(received(campaigns.PARTNER_ENROLLED,
                                           {**enrolled, "revision": 3})))
    [held] = uow.enrollment_states.rows.values()
    assert (held["status"], held["revision"]) == ("ACTIVE", 3)  # approved after all


def test_a_withdrawn_application_no_longer_waits(bus, uow):
    for contract in (campaigns.ENROLLMENT_REQUESTED, campaigns.ENROLLMENT_WITHDRAWN):
        bus.handle(inbound.application(received(contract, example(contract))))
    [held] = uow.enrollment_states.rows.values()
    assert (held["status"], held["revision"]) == ("WITHDRAWN", 2)


def test_a_stats_batch_redelivered_changes_nothing(bus, uow):
    event = received(tracking.STATS_CHANGED, example(tracking.STATS_CHANGED))
    assert bus.handle(inbound.stats(event)) == 1
    assert bus.handle(inbound.stats(event)) == 0
    assert uow.stats.campaigns[(CAMPAIGN_ID, DAY)].clicks == 41


def test_a_balances_batch_keeps_budgets_and_ledgers_newest_first(bus, uow):
    newer = example(commissions.BALANCES_CHANGED)
    older = example(commissions.BALANCES_CHANGED)
    older["ledgers"][0].update(revision=16, pending="0.00")
    older["budgets"][0].update(revision=8, pending_count=0)
    bus.handle(inbound.balances(received(commissions.BALANCES_CHANGED, newer)))
    bus.handle(inbound.balances(received(commissions.BALANCES_CHANGED, older)))
    assert uow.balances.ledgers[(PARTNER_ID, "USD")].revision == 17
    assert uow.balances.budgets.rows[CAMPAIGN_ID]["pending_count"] == 1
    assert uow.balances.earnings == {(PARTNER_ID, DAY, "USD"): Decimal("365.00")}


# --- the dashboards' pieces ---------------------------------------------------------------
def test_the_chart_has_every_day_traffic_summed_and_earnings_per_currency():
    days = [SimpleNamespace(day=date(2025, 5, 1), clicks=3, conversions=1),
            SimpleNamespace(day=date(2025, 5, 1), clicks=2, conversions=1),
            SimpleNamespace(day=date(2025, 5, 2), clicks=1, conversions=0)]
    earned = [SimpleNamespace(day=date(2025, 5, 1), currency="USD", amount=Decimal("20")),
              SimpleNamespace(day=date(2025, 5, 2), currency="EUR", amount=Decimal("1.5"))]
    chart = views._chart(date(2025, 5, 1), date(2025, 5, 3), days, earned)
    assert [d["day"] for d in chart["days"]] == ["2025-05-01", "2025-05-02", "2025-05-03"]
    assert [(d["clicks"], d["conversions"]) for d in chart["days"]] == [(5, 2), (1, 0), (0, 0)]
    assert chart["days"][0]["earnings"] == [{"amount": "20.00", "currency": "USD"}]
    assert chart["days"][1]["earnings"] == [{"amount": "1.50", "currency": "EUR"}]
    assert chart["currencies"] == ["EUR", "USD"] and chart["complete"] is True


def test_totals_carry_the_conversion_rate_when_there_were_valid_clicks():
    totals = views._totals(Counts(10, 8, 2, 1, Decimal("99.5")), "USD")
    assert totals["conversion_rate"] == "0.2500"
    assert totals["revenue"] == {"amount": "99.50", "currency": "USD"}
    assert views._totals(Counts(), "JPY")["conversion_rate"] is None


def test_a_budget_commissions_has_not_reported_yet_is_the_brands_total():
    campaign = {"campaign_id": CAMPAIGN_ID, "budget": {"amount": "500.00", "currency": "USD"}}
    budget = views._budget_dto(campaign, None)
    assert budget["reserved"] == {"amount": "0.00", "currency": "USD"}
    assert budget["remaining"] == budget["total"] and budget["exhausted"] is False
    held = SimpleNamespace(campaign_id=CAMPAIGN_ID, brand_id=BRAND_ID, currency="USD",
                           total=Decimal("500"), reserved=Decimal("120"), exhausted=False)
    assert views._budget_dto(campaign, held)["remaining"] == {"amount": "380.00",
                                                              "currency": "USD"}
