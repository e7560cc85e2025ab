"""Storage guarantees on both databases, below the service: one payout per partner,
currency and cycle, at most one under way per partner and currency, and the look-ups a
run decides on."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, insert, select

from common.migrate import upgrade
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import (
    InboxStore,
    OutboxStore,
    inbox_table,
    outbox_table,
)
from services.payouts.application.integration_events import TRANSLATOR
from services.payouts.domain.payout import Payout
from services.payouts.infrastructure.repositories import SqlPayoutRepository
from services.payouts.infrastructure.tables import payouts
from services.payouts.infrastructure.unit_of_work import SqlPayoutsUnitOfWork
from tests.support import migrated

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
PARTNER = str(uuid.uuid4())


def unit_of_work(database):
    metadata = MetaData()
    return SqlPayoutsUnitOfWork(database,
                                outbox=OutboxStore(outbox_table(metadata)),
                                inbox=InboxStore(inbox_table(metadata)), translator=TRANSLATOR)


@pytest.fixture
def uow(make_db_uri, db_kind):
    database = Database(migrated("payouts", make_db_uri(db_kind, "payouts")))
    yield unit_of_work(database)
    database.dispose()


def start(uow, cycle, currency="USD") -> Payout:
    payout = Payout.start(id=str(uuid.uuid4()), partner_id=PARTNER, currency=currency,
                          cycle=cycle, min_amount=Money.of("10.00", currency),
                          payout_method={"type": "paypal", "email": "a@b.co"}, now=NOW)
    with uow:
        uow.payouts.add(payout)
        uow.commit()
    return payout


def change(uow, payout_id, action):
    with uow:
        payout = uow.payouts.get(payout_id)
        action(payout)
        uow.payouts.save(payout)
        uow.commit()
    return payout


def hold(payout, now):
    payout.held(Money.of("20.00", "USD"), [str(uuid.uuid4())], [], now)


def test_a_partner_has_one_payout_under_way_per_currency_whatever_the_cycle(uow):
    first = start(uow, "2026-11")
    with pytest.raises(Conflict):
        start(uow, "2026-12")
    start(uow, "2026-12", currency="EUR")  # another currency is another balance
    with pytest.raises(Conflict):
        start(uow, "2026-11")  # the same cycle: the idempotency key

    change(uow, first.id, lambda p: p.nothing_to_hold(Money.zero("USD"), NOW))
    later = start(uow, "2026-12")  # the first one ended: the partner is free again
    with uow.peek():
        assert uow.payouts.under_way(PARTNER, "USD").id == later.id
        assert uow.payouts.under_way(PARTNER, "GBP") is None


def test_a_failed_payout_cannot_restart_while_another_is_under_way(uow):
    failed = start(uow, "2026-11")
    change(uow, failed.id, lambda p: hold(p, NOW))
    change(uow, failed.id, lambda p: p.declined_by_psp("forced_failure", NOW))
    change(uow, failed.id, lambda p: p.compensated(NOW))
    start(uow, "2026-12")
    with pytest.raises(Conflict):
        change(uow, failed.id, lambda p: p.retry(NOW))
    with uow.peek():
        assert uow.payouts.get(failed.id).status.value == "FAILED"


def test_the_payout_paid_since_a_moment_is_found(uow):
    paid_at = NOW + timedelta(minutes=5)
    payout = start(uow, "2026-11")
    change(uow, payout.id, lambda p: hold(p, NOW))
    change(uow, payout.id, lambda p: p.paid_by_psp("SIM-1", NOW))
    change(uow, payout.id, lambda p: p.confirmed(paid_at))
    with uow.peek():
        assert uow.payouts.paid_since(PARTNER, "USD", paid_at).id == payout.id
        assert uow.payouts.paid_since(PARTNER, "USD", paid_at + timedelta(seconds=1)) is None
        assert uow.payouts.paid_since(PARTNER, "EUR", NOW) is None


def test_each_held_commissions_brand_is_kept_and_named_by_the_events(uow):
    """What payout events tell webhooks: whose commission each one is. A payout held
    without them (before migration 0003) keeps NULL and its events go out without them."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    brands = {ids[0]: str(uuid.uuid4()), ids[1]: str(uuid.uuid4())}
    named, unnamed = start(uow, "2026-11"), start(uow, "2026-11", currency="EUR")
    change(uow, named.id, lambda p: p.held(Money.of("20.00", "USD"), ids, [], NOW, brands))
    change(uow, unnamed.id, lambda p: p.held(Money.of("20.00", "EUR"), ids, [], NOW))
    with uow.peek():
        assert uow.payouts.get(named.id).commission_brands == brands
        assert uow.payouts.get(unnamed.id).commission_brands is None
    started = {payload["payout_id"]: payload for payload in _published_payloads(uow)}
    assert started[named.id]["commission_brands"] == [
        {"commission_id": cid, "brand_id": brands[cid]} for cid in ids]
    assert "commission_brands" not in started[unnamed.id]


def _insert_as_before_0003(database, cycle):
    """A PENDING payout's row, with the columns the table had before migration 0003."""
    payout = Payout.start(id=str(uuid.uuid4()), partner_id=PARTNER, currency="USD",
                          cycle=cycle, min_amount=Money.of("10.00", "USD"),
                          payout_method={"type": "paypal", "email": "a@b.co"}, now=NOW)
    row = {**SqlPayoutRepository._to_row(None, payout), "version": 1}
    del row["commission_brands"]
    with database.transaction() as conn:
        conn.execute(insert(payouts), [row])


def _published_payloads(uow):
    """The payloads of the events in the outbox (as the relay will publish them)."""
    with uow.database.reader() as conn:
        return [message["payload"] for message in conn.execute(
            select(outbox_table(MetaData()).c.message)).scalars()]


def test_the_migration_refuses_a_database_with_two_payouts_under_way(make_db_uri, db_kind):
    uri = make_db_uri(db_kind, "payouts")
    upgrade("payouts", uri, "0001")
    database = Database(uri)
    try:
        for cycle in ("2026-11", "2026-12"):  # possible before 0002
            _insert_as_before_0003(database, cycle)
        with pytest.raises(RuntimeError, match=f"{PARTNER} USD"):
            upgrade("payouts", uri)
    finally:
        database.dispose()
