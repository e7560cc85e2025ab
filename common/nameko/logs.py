"""Logging filters and the JSON format for Nameko services (config.yaml's ``LOGGING``).

``JsonFormatter`` (``LOG_FORMAT=json``) writes one JSON object per line: ``time``,
``level``, ``logger``, ``process``, ``correlation_id``, ``trace_id``, ``span_id``,
``message``, a record's ``extra`` fields, and ``exc_info`` (the traceback) when there is
one. The text format (``LOG_FORMAT=text``, the default) is unchanged.

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
import time

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

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


JSON_FIELDS = ("asctime", "levelname", "name", "process", "correlation_id", "trace_id",
               "span_id", "message")


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter with the platform's fields (see the module doc)."""

    converter = time.gmtime  # UTC, like every time the platform writes

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", list(JSON_FIELDS))
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level",
                                            "name": "logger"})
        super().__init__(*args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 -- logging's name
        return f"{super().formatTime(record, datefmt)}.{int(record.msecs):03d}Z"
