"""The tracking service container on the real broker, on SQLite and PostgreSQL, with a
clock the tests set, and a World that speaks campaigns' and partners' contracts."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.nameko.bus import MessageBusProvider
from services.tracking.service import TrackingService
from tests.clock import Clock
from tests.integration.tracking.world import World
from tests.support import migrated, service_config

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
RULES = {"flooding_max_clicks_per_minute": 3, "too_fast_min_seconds": 10,
         "self_referral_enabled": True, "reject_suspended": True,
         "clicks_attributed_interval_seconds": 3600}


@pytest.fixture
def tracking_settings():
    """Override in a test module to change the TRACKING knobs."""
    return dict(RULES)


@pytest.fixture
def db_uri(make_db_uri, db_kind):
    return migrated("tracking", make_db_uri(db_kind, "tracking"))


@pytest.fixture
def config(rabbit_config, db_uri, tracking_settings):
    return service_config(rabbit_config, {"tracking": db_uri}, TRACKING=tracking_settings)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def container(config, container_factory, clock):
    container = container_factory(TrackingService, config)
    container.start()
    [bus] = [d for d in container.dependencies if isinstance(d, MessageBusProvider)]
    bus.shared["clock"] = clock  # the use cases read this test's clock
    return container


@pytest.fixture
def rpc(config, container):
    with ClusterRpcProxy(config, timeout=15) as proxy:
        yield proxy.tracking


@pytest.fixture
def world(config, db_uri, container):
    world = World(config, db_uri)
    yield world
    world.close()
