"""Logging filters for Nameko services (wired in config.yaml's ``LOGGING`` section).

Nameko logs an exception that the entrypoint declares expected -- for ``@api`` methods our
typed ``DomainError``\\ s: refused input, conflicts, business rules, the method's contract
-- at WARNING with its whole traceback ("(expected) error handling worker ..."). Every
409 or 422 a client earns then writes a traceback into the log, and the real failures
drown in them. ``ExpectedErrorsFilter``, on the ``nameko.containers`` logger, makes that
record one INFO line (the worker and the error's JSON, no traceback). Unexpected
exceptions, which Nameko logs at ERROR with their traceback, are left as they are.
"""
from __future__ import annotations

import logging

EXPECTED_ERROR_MESSAGE = "(expected) error handling worker"  # nameko.containers' wording


class ExpectedErrorsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not (record.levelno == logging.WARNING and isinstance(record.msg, str)
                and record.msg.startswith(EXPECTED_ERROR_MESSAGE)):
            return True
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        record.exc_info = record.exc_text = record.stack_info = None
        # Created as a WARNING: dropped where INFO lines are not wanted.
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)
