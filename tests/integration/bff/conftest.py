"""The BFF container (and real or fake services) on a fresh vhost, driven over HTTP."""
from __future__ import annotations

import pytest
from nameko.testing.utils import find_free_port

from services.bff.auth import SECRET_ENV
from services.bff.service import BffService
from tests.integration.bff import fakes
from tests.integration.bff.client import Api
from tests.support import migrated, read_model, service_config

SECRET = "integration-tests-secret-0123456789abcdef"


@pytest.fixture
def jwt_secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return SECRET


@pytest.fixture
def start_bff(container_factory, rabbit_config, jwt_secret, make_db_uri, tmp_path):
    """``start_bff(**bff_settings)`` -> an ``Api`` client of a running BFF (with a fresh,
    migrated SQLite read model unless ``db_uris`` names one for ``bff``)."""

    def start(db_uris: dict | None = None, **bff_settings) -> Api:
        port = find_free_port()
        db_uris = {**read_model(make_db_uri), **(db_uris or {})}
        config = service_config(rabbit_config, db_uris,
                                WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                                BFF={"click_journal_dir": str(tmp_path / "clicks"),
                                     **bff_settings})
        container_factory(BffService, config).start()
        return Api(f"http://127.0.0.1:{port}", config)

    return start


@pytest.fixture
def start_service(container_factory, rabbit_config):
    """Start another service container (real or fake) on the same vhost."""

    def start(service_cls, db_uris: dict | None = None) -> None:
        container_factory(service_cls, service_config(rabbit_config, db_uris or {})).start()

    return start


@pytest.fixture
def fake_world(start_service, rabbit_config):
    """Every service as a fake (see ``fakes``), with an empty call record."""
    fakes.CALLS.clear()
    for fake in fakes.FAKES:
        start_service(fake)
    fakes.declare_clicks_queue(service_config(rabbit_config, {}))
    yield fakes
    fakes.CALLS.clear()


@pytest.fixture
def partners_db(make_db_uri):
    return {"partners": migrated("partners", make_db_uri("sqlite", "partners"))}
