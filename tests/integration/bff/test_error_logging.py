"""A service's expected business errors (its RPC contract) are one INFO line without a
traceback; unexpected failures stay ERROR with their traceback."""
from __future__ import annotations

import importlib
import logging

import pytest

from common.nameko.config import load_config
from common.nameko.discovery import ROOT
from common.nameko.rpc import api as rpc_api
from common.seedwork.errors import Conflict, ValidationError
from tests.integration.bff.client import new_id


class RefusingPartners:
    """A refusal per call: partner ids starting with 0 are invalid, others taken."""

    name = "partners"

    @rpc_api
    def get_partner(self, partner_id):
        if partner_id.startswith("0"):
            raise ValidationError(fields={"partner_id": ["Unknown format."]})
        raise Conflict("The partner is being changed.")


class BrokenPartners:
    name = "partners"

    @rpc_api
    def get_partner(self, partner_id):
        raise RuntimeError("the disk is on fire")


@pytest.fixture(autouse=True)
def configured_logger_filters():
    """config.yaml's logger filters, as `nameko run` applies them (the test containers
    do not read the LOGGING section)."""
    logging_config = load_config(str(ROOT / "config.yaml"))["LOGGING"]
    attached = []
    for logger_name, logger_config in logging_config.get("loggers", {}).items():
        for filter_name in logger_config.get("filters", ()):
            module, _, name = logging_config["filters"][filter_name]["()"].rpartition(".")
            attached.append((logging.getLogger(logger_name),
                             getattr(importlib.import_module(module), name)()))
    for logger, log_filter in attached:
        logger.addFilter(log_filter)
    yield
    for logger, log_filter in attached:
        logger.removeFilter(log_filter)


@pytest.fixture
def api(start_bff):
    return start_bff()


def test_expected_errors_are_one_info_line_without_traceback(api, start_service, caplog):
    start_service(RefusingPartners)
    caplog.set_level(logging.DEBUG)
    conflict = api.get(f"/api/v1/partners/1{new_id()[1:]}", api.admin())  # not "0..."
    invalid = api.get("/api/v1/partners/00000000-0000-4000-8000-000000000000", api.admin())
    assert (conflict.status_code, invalid.status_code) == (409, 422)

    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert loud == [], [(r.name, r.levelname, r.getMessage()[:80]) for r in loud]
    refusals = [r for r in caplog.records if r.name == "nameko.containers"
                and r.levelno == logging.INFO and "get_partner" in r.getMessage()]
    assert len(refusals) == 2 and all("\n" not in r.getMessage() for r in refusals)


def test_unexpected_errors_stay_errors_with_a_traceback(api, start_service, caplog):
    start_service(BrokenPartners)
    caplog.set_level(logging.DEBUG)
    assert api.get(f"/api/v1/partners/{new_id()}", api.admin()).status_code == 500
    errors = {r.name for r in caplog.records if r.levelno == logging.ERROR and r.exc_info}
    assert {"nameko.containers", "services.bff.errors"} <= errors
