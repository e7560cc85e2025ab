"""common.nameko.logs: Nameko's "(expected) error" WARNING with a traceback becomes one
INFO line; anything else passes untouched (records shaped as nameko.containers logs them)."""
import logging
import sys

import pytest

from common.nameko.logs import ExpectedErrorsFilter
from common.seedwork.errors import Conflict


def nameko_record(level: int, msg: str) -> logging.LogRecord:
    try:
        raise Conflict("Email already registered.")
    except Conflict as error:
        return logging.LogRecord("nameko.containers", level, "containers.py", 395, msg,
                                 ("<WorkerContext [partners.register_partner]>", error),
                                 sys.exc_info())


@pytest.fixture
def containers_logger():
    logger = logging.getLogger("nameko.containers")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_an_expected_error_is_one_info_line(containers_logger):
    containers_logger.setLevel(logging.INFO)
    record = nameko_record(logging.WARNING, "(expected) error handling worker %s: %s")
    assert ExpectedErrorsFilter().filter(record)
    assert (record.levelno, record.levelname, record.exc_info) == (logging.INFO, "INFO", None)
    text = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert text.startswith("INFO (expected) error handling worker") and "\n" not in text
    assert '"code": "conflict"' in text


def test_an_expected_error_is_dropped_where_info_is_not_wanted(containers_logger):
    containers_logger.setLevel(logging.WARNING)
    record = nameko_record(logging.WARNING, "(expected) error handling worker %s: %s")
    assert not ExpectedErrorsFilter().filter(record)


def test_an_unexpected_error_keeps_its_level_and_traceback(containers_logger):
    record = nameko_record(logging.ERROR, "error handling worker %s: %s")
    assert ExpectedErrorsFilter().filter(record)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "Traceback" in logging.Formatter().format(record)
