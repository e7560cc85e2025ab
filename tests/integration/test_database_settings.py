"""The PostgreSQL engine's connection settings reach libpq (a dead network path must end
a connection, not hang a worker)."""
import pytest

from common.seedwork.infrastructure.database import Database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_postgres_connections_carry_keepalive_and_user_timeout(make_db_uri):
    database = Database(make_db_uri("postgresql", "settings"))
    try:
        with database.reader() as conn:
            dsn = conn.connection.dbapi_connection.get_dsn_parameters()
    finally:
        database.dispose()
    assert {key: dsn.get(key) for key in ("keepalives", "keepalives_idle",
                                          "keepalives_interval", "keepalives_count",
                                          "tcp_user_timeout", "connect_timeout")} == {
        "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5",
        "keepalives_count": "3", "tcp_user_timeout": "30000", "connect_timeout": "5"}
