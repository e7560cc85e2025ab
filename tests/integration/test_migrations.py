"""Every service's migrations produce exactly the schema its tables.py describes."""
import importlib

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
