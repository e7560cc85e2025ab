"""Every service's migrations produce exactly the schema its tables.py describes."""
import importlib
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from common.migrate import services_with_migrations, upgrade


@pytest.mark.parametrize("service", services_with_migrations())
def test_migrations_match_tables(service, db_kind, make_db_uri):
    uri = make_db_uri(db_kind, service)
    upgrade(service, uri)
    upgrade(service, uri)  # idempotent
    metadata = importlib.import_module(f"services.{service}.infrastructure.tables").metadata
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_tracking_0005_carries_the_stats_revenue_over_exactly_and_back(db_kind, make_db_uri):
    """The decimal revenue of rows written before 0005 becomes its two integers, and a
    downgrade joins them back, on both databases."""
    from alembic import command
    from sqlalchemy import text

    from common.migrate import alembic_config

    uri = make_db_uri(db_kind, "tracking")
    upgrade("tracking", uri, "0004")
    engine = create_engine(uri)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO campaign_daily_stats (campaign_id, day, clicks, valid_clicks, "
                "conversions, rejected_conversions, revenue) VALUES "
                "('c1', '2026-12-01', 1, 1, 2, 0, '1234567890123.3'), "
                "('c2', '2026-12-01', 0, 0, 1, 0, '-12.345')"))
            conn.execute(text(
                "INSERT INTO partner_daily_stats (partner_id, campaign_id, day, clicks, "
                "valid_clicks, conversions, rejected_conversions, revenue) VALUES "
                "('p1', 'c1', '2026-12-01', 1, 1, 2, 0, '0.0001')"))
        upgrade("tracking", uri)
        with engine.connect() as conn:
            campaigns = {row[0]: tuple(row[1:]) for row in conn.execute(text(
                "SELECT campaign_id, revenue_units, revenue_parts FROM campaign_daily_stats"))}
            [partner] = conn.execute(text(
                "SELECT revenue_units, revenue_parts FROM partner_daily_stats")).all()
        assert campaigns == {"c1": (1234567890123, 3000000000), "c2": (-13, 6550000000)}
        assert tuple(partner) == (0, 1000000)

        command.downgrade(alembic_config("tracking", uri), "0004")
        with engine.connect() as conn:
            back = dict(conn.execute(text(
                "SELECT campaign_id, revenue FROM campaign_daily_stats")).all())
        assert {key: Decimal(str(value)) for key, value in back.items()} == {
            "c1": Decimal("1234567890123.3"), "c2": Decimal("-12.345")}
    finally:
        engine.dispose()


def test_tracking_0007_says_what_credited_the_conversions_recorded_before(db_kind,
                                                                          make_db_uri):
    """A click id: the click; a code alone: the code; nothing: unattributed."""
    from sqlalchemy import text

    uri = make_db_uri(db_kind, "tracking")
    upgrade("tracking", uri, "0006")
    engine = create_engine(uri)
    rows = [("by-click", "ATTRIBUTED", "C1", "d2e8f4a6-1b3c-4d5e-8f7a-9b0c1d2e3f05"),
            ("by-code", "REJECTED", "C1", None), ("nobody", "UNATTRIBUTED", None, None)]
    try:
        with engine.begin() as conn:
            for order_id, status, code, click_id in rows:
                conn.execute(text(
                    "INSERT INTO conversions (id, brand_id, order_id, amount, currency, "
                    "status, referral_code, click_id, occurred_at, recorded_at, "
                    "reversed_amount, updated_at, version) VALUES (:id, 'b1', :order_id, "
                    "'10', 'EUR', :status, :code, :click_id, '2026-12-01 10:00:00', "
                    "'2026-12-01 10:00:00', '0', '2026-12-01 10:00:00', 1)"),
                    {"id": order_id, "order_id": order_id, "status": status, "code": code,
                     "click_id": click_id})
        upgrade("tracking", uri)
        with engine.connect() as conn:
            found = dict(conn.execute(text("SELECT order_id, attribution FROM conversions")).all())
    finally:
        engine.dispose()
    assert found == {"by-click": "click", "by-code": "code", "nobody": None}
