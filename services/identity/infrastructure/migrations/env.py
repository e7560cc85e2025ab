from common.seedwork.infrastructure.alembic_env import run_migrations
from services.identity.infrastructure.tables import metadata

run_migrations(metadata)
