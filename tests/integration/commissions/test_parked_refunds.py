"""Refunds that arrive before their conversion ("parked"), on SQLite and PostgreSQL.

Recording a commission asks, in the statement that checks the commission is new,
whether any refund is parked for its conversion, and reads the parked refunds only
then. These tests keep the parked-refunds timer out of the way (an hour) unless they
say otherwise, so what they see is the conversion's own transaction finding the
refunds -- whichever instance parked them -- and applying each exactly once.
"""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.nameko.config import db_uri
from common.seedwork.infrastructure.database import Database
from services.commissions.infrastructure.tables import (
    commissions,
    inbox_messages,
    outbox_messages,
    parked_refunds,
)
from services.commissions.service import CommissionsService
from tests.integration.campaigns.support import count
from tests.integration.commissions import tracking_events as tracking
from tests.support import migrated, service_config, wait_for

HOUR = 3600


def commissions_config(rabbit_config, make_db_uri, db_kind, parked_timer: float) -> dict:
    uri = migrated("commissions", make_db_uri(db_kind, "commissions"))
    return service_config(rabbit_config, {"commissions": uri}, max_workers=20,
                          COMMISSIONS={"approval_interval_seconds": HOUR,
                                       "parked_refunds_interval_seconds": parked_timer})


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    return commissions_config(rabbit_config, make_db_uri, db_kind, parked_timer=HOUR)


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "commissions"))
    yield database
    database.dispose()


def start(config, container_factory, instances=1):
    for _ in range(instances):
        container_factory(CommissionsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as rpc:
        tracking.campaign_budget(config, "10000.00")
        wait_for(lambda: _budget(rpc), message="the budget")


def _budget(rpc):
    try:
        return rpc.commissions.get_campaign_budget(tracking.CAMPAIGN)
    except Exception:
        return None


def amounts(db) -> dict[str, Decimal]:
    """Each conversion's commission amount."""
    with db.reader() as conn:
        return {row.conversion_id: row.amount for row in conn.execute(
            commissions.select().where(commissions.c.campaign_id == tracking.CAMPAIGN))}


def reversals(db) -> int:
    return count(db, outbox_messages, outbox_messages.c.event_type == "commission_reversed")


def parked(db) -> int:
    return count(db, parked_refunds)


def park_elsewhere(db, attributed, refunded: str, refund_id: str) -> None:
    """A refund parked by another commissions instance: a row committed in the table by
    a transaction this one never saw (no process-local hint of it)."""
    with db.transaction() as conn:
        conn.execute(parked_refunds.insert().values(
            conversion_id=attributed["conversion_id"], refund_id=refund_id, currency="USD",
            order_amount=Decimal(attributed["order_amount"]["amount"]),
            total_reversed=Decimal(refunded), fully_reversed=False,
            parked_at=datetime.now(UTC)))


def test_a_refund_parked_by_another_instance_is_applied_once_by_the_conversion(
        config, container_factory, db):
    start(config, container_factory)
    attributed = tracking.conversion_attributed("00000000-0000-4000-8000-000000000001",
                                                order="200.00")
    park_elsewhere(db, attributed, "50.00", refund_id="rf-elsewhere")
    tracking.publish(config, tracking.envelope("conversion_attributed", attributed))
    conversion = attributed["conversion_id"]
    wait_for(lambda: conversion in amounts(db), message="the commission")
    assert amounts(db)[conversion] == Decimal("15.00")  # 20.00 earned, a quarter refunded
    assert parked(db) == 0 and reversals(db) == 1

    # the same refund again (tracking re-sent it), the conversion again: nothing changes
    again = [tracking.publish(config, tracking.envelope(
                 "conversion_reversed", tracking.conversion_reversed(
                     attributed, "50.00", refund_id="rf-elsewhere"))),
             tracking.publish(config, tracking.envelope("conversion_attributed", attributed))]
    ids = [message["event_id"] for message in again]
    wait_for(lambda: count(db, inbox_messages, inbox_messages.c.event_id.in_(ids)) == 2,
             message="both handled")
    assert amounts(db)[conversion] == Decimal("15.00")
    assert parked(db) == 0 and reversals(db) == 1
    with ClusterRpcProxy(config, timeout=10) as rpc:
        budget = rpc.commissions.get_campaign_budget(tracking.CAMPAIGN)
    assert budget["reserved"] == {"amount": "15.00", "currency": "USD"}


CONVERSIONS = 10


def test_two_instances_apply_each_parked_refund_once(config, container_factory, db):
    """Every refund parked first (through the service, spread over two instances), then
    every conversion delivered twice at once to the two instances: each commission is
    recorded once, as its refund left it, whichever instance parked the refund."""
    start(config, container_factory, instances=2)
    attributed = [tracking.conversion_attributed(f"00000000-0000-4000-8000-{n:012d}",
                                                 order="200.00") for n in range(CONVERSIONS)]
    for event in attributed:
        tracking.publish(config, tracking.envelope(
            "conversion_reversed", tracking.conversion_reversed(event, "100.00")))
    wait_for(lambda: parked(db) == CONVERSIONS, message="the refunds parked")
    messages = [tracking.envelope("conversion_attributed", event) for event in attributed]
    for message in messages + messages:
        tracking.publish(config, message)
    wait_for(lambda: len(amounts(db)) == CONVERSIONS and parked(db) == 0,
             message="the commissions, the refunds applied")
    assert set(amounts(db).values()) == {Decimal("10.00")}  # half of 20.00, taken once
    assert reversals(db) == CONVERSIONS


def test_refunds_racing_their_conversions_are_applied_once(
        rabbit_config, make_db_uri, db_kind, container_factory):
    """Refunds and conversions delivered together to two instances (a refund may be
    parked while its conversion's transaction runs: the timer's case, so it runs here):
    in the end nothing is parked and each refund was taken exactly once."""
    config = commissions_config(rabbit_config, make_db_uri, db_kind, parked_timer=0.3)
    database = Database(db_uri(config, "commissions"))
    try:
        start(config, container_factory, instances=2)
        attributed = [tracking.conversion_attributed(f"00000000-0000-4000-8001-{n:012d}",
                                                     order="200.00")
                      for n in range(CONVERSIONS)]
        for n, event in enumerate(attributed):
            refund = tracking.envelope("conversion_reversed",
                                       tracking.conversion_reversed(event, "50.00"))
            conversion = tracking.envelope("conversion_attributed", event)
            for message in ((refund, conversion) if n % 2 else (conversion, refund)):
                tracking.publish(config, message)
            tracking.publish(config, refund)  # and the refund once more
        wait_for(lambda: len(amounts(database)) == CONVERSIONS and parked(database) == 0
                 and reversals(database) >= CONVERSIONS, timeout=20,
                 message="the commissions, the refunds applied")
        assert set(amounts(database).values()) == {Decimal("15.00")}
        assert reversals(database) == CONVERSIONS
    finally:
        database.dispose()
