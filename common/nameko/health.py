"""What every service inherits: the ``health()`` RPC, which answers when the service is up
and says whether its database answers, and ``Observability`` (its ``/metrics``
endpoint, worker metrics and spans: common/nameko/observability.py)."""
from __future__ import annotations

import logging

from common.nameko.observability import Observability
from common.nameko.rpc import rpc

log = logging.getLogger(__name__)


class HealthMixin:
    observability = Observability()

    @rpc
    def health(self):
        report = {"service": self.name, "status": "ok"}
        database = getattr(self, "db", None)  # the worker's ServiceDatabase, if any
        if database is not None:
            try:
                database.ping()
                report["database"] = "ok"
            except Exception:
                log.exception("health: database check failed")
                report.update(database="unavailable", status="degraded")
        return report
