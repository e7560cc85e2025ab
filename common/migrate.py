"""Apply a service's migrations (Alembic, one history per service database).

``alpes migrate`` (tools/cli.py) runs ``upgrade`` for every service; the tests call it
directly. Creates the PostgreSQL database (or the SQLite directory) first when missing.
Schemas only ever come from migrations, never from ``create_all`` at run time.
"""
from __future__ import annotations

import pathlib

from alembic import command
from alembic.config import Config

from common.nameko.discovery import ROOT, service_names
from common.seedwork.infrastructure.database import ensure_database_exists


def migrations_dir(service: str) -> pathlib.Path:
    return ROOT / "services" / service / "infrastructure" / "migrations"


def services_with_migrations() -> list[str]:
    return [name for name in service_names() if migrations_dir(name).is_dir()]


def alembic_config(service: str, uri: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(service)))
    config.set_main_option("sqlalchemy.url", uri.replace("%", "%%"))
    return config


def upgrade(service: str, uri: str, revision: str = "head") -> None:
    ensure_database_exists(uri)
    command.upgrade(alembic_config(service, uri), revision)
