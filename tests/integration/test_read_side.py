"""The views straight over migrated databases, on SQLite and PostgreSQL: paging to the last
page and past it, reads of nothing, and values in the one shape both backends give."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, insert

from common.migrate import upgrade
from services.campaigns.application import queries as campaign_queries
from services.campaigns.application import views as campaign_views
from services.commissions.application import views as commission_views
from services.commissions.infrastructure import tables as commission_tables
from services.partners.application import queries as partner_queries
from services.partners.application import views as partner_views
from services.partners.infrastructure.tables import partners
from services.payouts.application import views as payout_views
from services.payouts.infrastructure.tables import payouts

T0 = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
UNKNOWN = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
PAYOUT_ID = "9a000000-0000-4000-8000-000000000001"


@pytest.fixture
def database(db_kind, make_db_uri):
    engines = []

    def make(service: str):
        uri = make_db_uri(db_kind, service)
        upgrade(service, uri)
        engines.append(create_engine(uri))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def _partner(n: int, *, registered_at: datetime, type: str = "b2b", country: str = "ES",
             payout_method: dict | None = None) -> dict:
    return {"id": f"0000000{n}-0000-4000-8000-000000000000", "name": f"P{n}",
            "email": f"p{n}@example.com", "type": type, "country": country,
            "status": "ACTIVE", "kyc_status": "VERIFIED", "payout_method": payout_method,
            "suspension_reason": None, "registered_at": registered_at,
            "updated_at": registered_at, "revision": 1, "version": 1}


def test_a_listing_pages_in_order_to_its_last_page_and_past_it(database):
    engine = database("partners")
    rows = [_partner(n, registered_at=T0 + timedelta(hours=n)) for n in range(1, 4)]
    rows += [_partner(n, registered_at=T0, type="influencer", country="FR",
                      payout_method={"type": "paypal", "email": f"p{n}@example.com"})
             for n in (5, 4)]  # same time: the id breaks the tie
    with engine.begin() as conn:
        conn.execute(insert(partners), rows)
    newest_first = [rows[n]["id"] for n in (2, 1, 0, 4, 3)]

    def page(number: int, **filters) -> dict:
        with engine.connect() as conn:
            return partner_views.partners_page(conn, partner_queries.ListPartners(
                page=number, page_size=2, **filters))

    pages = [page(number) for number in (1, 2, 3, 4)]
    assert [(p["page"], p["page_size"], p["total"], len(p["items"])) for p in pages] == [
        (1, 2, 5, 2), (2, 2, 5, 2), (3, 2, 5, 1), (4, 2, 5, 0)]
    assert [item["partner_id"] for p in pages for item in p["items"]] == newest_first

    assert page(1, status="", type=None)["total"] == 5  # empty filters filter nothing
    both = page(1, type="influencer", country="FR")
    assert (both["total"], [item["name"] for item in both["items"]]) == (2, ["P4", "P5"])
    assert page(1, type="influencer", country="ES") == {
        "items": [], "page": 1, "page_size": 2, "total": 0}

    item = both["items"][0]
    assert item["registered_at"] == "2026-03-01T09:30:00.123456Z"
    assert item["payout_method"] == {"type": "paypal", "email": "p4@example.com"}
    with engine.connect() as conn:
        assert partner_views.partner(conn, rows[0]["id"])["payout_method"] is None
        assert partner_views.partner(conn, UNKNOWN) is None


def test_campaign_reads_of_nothing_and_budgets_in_minor_units(database):
    engine = database("campaigns")
    with engine.connect() as conn:
        empty = {"items": [], "page": 1, "page_size": 20, "total": 0}
        assert campaign_views.brands_page(conn, campaign_queries.ListBrands()) == empty
        assert campaign_views.campaigns_page(
            conn, campaign_queries.ListCampaigns(brand_id=UNKNOWN), T0) == empty
        assert campaign_views.enrollments_page(
            conn, campaign_queries.ListEnrollments(status="ACTIVE")) == empty
        for read in (campaign_views.brand, campaign_views.enrollment):
            assert read(conn, UNKNOWN) is None
        assert campaign_views.campaign(conn, UNKNOWN, T0) is None
        assert campaign_views.referral(conn, "NOSUCHCODE") is None



def test_campaign_budgets_in_minor_units(database):
    """Commissions' budget view: JPY has no minor unit, KWD three."""
    engine = database("commissions")
    budgets = {"JPY": ("1000", "250", "750"), "KWD": ("12.5", "0.125", "12.375")}
    padded = {"JPY": ("1000", "250", "750"), "KWD": ("12.500", "0.125", "12.375")}
    with engine.begin() as conn:
        for n, (currency, (total, reserved, _)) in enumerate(budgets.items()):
            conn.execute(insert(commission_tables.campaign_budgets).values(
                id=f"c000000{n}-0000-4000-8000-000000000000", brand_id=UNKNOWN,
                currency=currency, total=Decimal(total), reserved=Decimal(reserved),
                smallest=Decimal("1"), revision=1, exhausted=False, updated_at=T0, version=1))
    with engine.connect() as conn:
        assert commission_views.campaign_budget(conn, UNKNOWN) is None
        for n, currency in enumerate(budgets):
            budget = commission_views.campaign_budget(
                conn, f"c000000{n}-0000-4000-8000-000000000000")
            assert (budget["total"], budget["reserved"], budget["remaining"]) == tuple(
                {"amount": amount, "currency": currency} for amount in padded[currency])
            assert budget["exhausted"] is False


def test_amounts_finer_than_the_minor_unit_read_the_same_on_both_backends(database):
    """PostgreSQL pads NUMERIC(28, 10); the column type drops the padding, so 0.125 USD
    reads "0.125" there as on SQLite (not "0.1250000000")."""
    engine = database("payouts")
    with engine.begin() as conn:
        conn.execute(insert(payouts).values(
            id=PAYOUT_ID, partner_id="p", currency="USD", cycle="2026-03", status="PAID",
            min_amount=Decimal("0.125"), payout_method={}, amount=Decimal("12.5"),
            commission_ids=["c1"], adjustment_ids=[], attempt=1, created_at=T0,
            updated_at=T0, version=1))
    with engine.connect() as conn:
        payout = payout_views.payout(conn, PAYOUT_ID)
    assert (payout["min_amount"], payout["amount"]) == (
        {"amount": "0.125", "currency": "USD"}, {"amount": "12.50", "currency": "USD"})
    assert (payout["commission_ids"], payout["saga_log"], payout["created_at"]) == (
        ["c1"], [], "2026-03-01T09:30:00.123456Z")
