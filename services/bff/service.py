"""The ``bff`` Nameko service: the platform's HTTP API (``WEB_SERVER_ADDRESS``).

One ``@http`` entrypoint per declared route (see ``services.bff.api``), mounted from the
route table; each request runs in its own worker and goes through ``pipeline.handle``:
authenticate, authorize, validate, call the services by RPC (with timeouts), answer.
The BFF stores nothing: its only state is the rate limiter's buckets, in memory.
"""
from __future__ import annotations

from common.nameko import context, health
from services.bff import pipeline, web
from services.bff.api import ROUTES
from services.bff.dependencies import BffRpcClient, Edge


class BffService(health.HealthMixin):
    name = "bff"

    rpc = BffRpcClient()
    edge = Edge()
    request_id = context.CorrelationId()

    def dispatch(self, route, request, path_values):
        return pipeline.handle(route, request, path_values, edge=self.edge, rpc=self.rpc,
                               request_id=self.request_id)


web.mount(BffService, ROUTES)
