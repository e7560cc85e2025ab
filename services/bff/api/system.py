"""Operations: health of the platform, the OpenAPI document and its interactive docs."""
from __future__ import annotations

import time

import eventlet
from kombu import Connection

from common.nameko.discovery import service_names
from services.bff import openapi, swagger
from services.bff.fanout import Fanout
from services.bff.routing import ROUTES, Reply, route
from services.bff.schemas.system import HealthOut

TAG = "operations"
SELF = "bff"


@route("GET", "/health", response=HealthOut, tag=TAG,
       summary="The broker and every service answer (503 when one does not)")
def platform_health(call):
    timeout = call.settings.health_timeout_seconds
    deadline = time.monotonic() + timeout
    calls = Fanout()
    services = [name for name in service_names() if name != SELF]
    for name in services:
        calls.start(name, getattr(call.rpc, name).health.call_async)
    report = {"broker": _broker(call.edge.amqp_uri, timeout),
              "services": {name: _service_health(calls, name, deadline) for name in services}}
    healthy = report["broker"] == "ok" and all(
        part["status"] == "ok" for part in report["services"].values())
    report["status"] = "ok" if healthy else "degraded"
    return Reply(report, 200 if healthy else 503)


def _broker(amqp_uri: str, timeout: float) -> str:
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
        return "ok"
    except Exception:  # noqa: BLE001 -- any failure means "not reachable"
        return "unavailable"


def _service_health(calls: Fanout, name: str, deadline: float) -> dict:
    """The service's own report if it answers before the shared deadline."""
    answer = None
    try:
        with eventlet.Timeout(max(deadline - time.monotonic(), 0.001), False):
            answer = calls.optional(name)
    except Exception:  # noqa: BLE001 -- a service that answers badly is not healthy
        answer = None
    if not isinstance(answer, dict):
        return {"status": "unavailable"}
    return {key: answer[key] for key in ("status", "database") if key in answer}


@route("GET", "/api/v1/openapi.json", tag=TAG, summary="This document (OpenAPI 3)")
def openapi_document(call):
    return openapi.document(tuple(ROUTES))


@route("GET", swagger.PAGE_PATH, tag=TAG, media_type="text/html",
       summary="Interactive docs of this document (Swagger UI)")
def api_docs(call):
    return swagger.page()
