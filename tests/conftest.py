"""Root test configuration.

Nameko's pytest plugin no longer monkey-patches: do it first, before anything imports
socket or threading. psycopg2 then waits through eventlet's hub (psycogreen).
"""
import eventlet

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

import os  # noqa: E402
import pathlib  # noqa: E402
import uuid  # noqa: E402

# Every service a test starts (in this process or as `nameko run`) checks the payload of
# every event it publishes against its contract (off by default in config.yaml).
os.environ.setdefault("ALPES_CHECK_OUTGOING_EVENTS", "true")

import pytest  # noqa: E402

import common.nameko  # noqa: E402,F401  (typed remote errors)

ROOT = pathlib.Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("TEST_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")
TEST_DBS = [db for db in os.environ.get("TEST_DBS", "sqlite,postgresql").split(",") if db]

LAYER_BY_DIR = {"unit": "unit", "integration": "integration", "e2e": "e2e",
                "reliability": "reliability", "cluster": "cluster"}


def pytest_collection_modifyitems(config, items):
    """Mark each test with its layer from its directory (tests/<layer>/...)."""
    for item in items:
        parts = pathlib.Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        layer = LAYER_BY_DIR.get(parts[0]) if len(parts) > 1 else None
        if layer:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture
def make_db_uri(tmp_path):
    """Factory of fresh, empty databases: ``make_db_uri("sqlite" | "postgresql", name)``."""
    from common.seedwork.infrastructure.database import drop_database, ensure_database_exists

    created = []

    def make(kind: str, name: str = "svc") -> str:
        if kind == "sqlite":
            uri = f"sqlite:///{tmp_path / f'{name}-{uuid.uuid4().hex[:6]}.db'}"
        else:
            uri = f"{PG_SERVER}/alpes_test_{name}_{uuid.uuid4().hex[:10]}"
            ensure_database_exists(uri)
        created.append(uri)
        return uri

    yield make
    for uri in created:
        drop_database(uri)


@pytest.fixture(params=TEST_DBS)
def db_kind(request):
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    return request.param
