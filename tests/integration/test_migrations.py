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
