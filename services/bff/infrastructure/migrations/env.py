from common.seedwork.infrastructure.alembic_env import run_migrations
from services.bff.infrastructure.tables import metadata

run_migrations(metadata)
