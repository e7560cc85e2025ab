"""Apply every service's migrations (Alembic, one history per service database).

    python -m common.migrate [--config config.yaml] [service ...]

Creates the PostgreSQL database (or the SQLite directory) first when missing.
Schemas only ever come from migrations, never from ``create_all`` at run time.
"""
from __future__ import annotations

import argparse
import logging
import pathlib

from alembic import command
from alembic.config import Config

from common.nameko.config import db_uri, load_config
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Apply service migrations.")
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("services", nargs="*")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    config = load_config(args.config)
    for service in args.services or services_with_migrations():
        uri = db_uri(config, service)
        upgrade(service, uri)
        print(f"migrated {service:12s} -> {_redact(uri)}")


def _redact(uri: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(uri).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
