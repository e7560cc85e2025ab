"""Drive the BFF's request pipeline without a broker or a socket.

Routes are matched as the web server matches them (a werkzeug Map of the declared
routes) and run through ``pipeline.handle`` with a fake RPC client that answers from
canned functions and records every call.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import services.bff.api  # noqa: F401  (declares the routes)
from services.bff import pipeline, settings
from services.bff.auth import TokenCodec
from services.bff.dependencies import EdgeState
from services.bff.ratelimit import RateLimiter
from services.bff.routing import ROUTES

SECRET = "unit-tests-secret-" + "0123456789abcdef" * 3


class FakeReply:
    def __init__(self, produce: Callable[[], Any]):
        self._produce = produce

    def result(self) -> Any:
        return self._produce()


class FakeMethod:
    def __init__(self, rpc: "FakeRpc", name: str):
        self._rpc, self.name = rpc, name

    def __call__(self, *args):
        return self.call_async(*args).result()

    def call_async(self, *args):
        self._rpc.calls.append((self.name, args))
        answer = self._rpc.answers.get(self.name)
        if answer is None:
            raise AssertionError(f"unexpected RPC {self.name}{args}")
        return FakeReply(lambda: answer(*args) if callable(answer) else answer)


class FakeService:
    def __init__(self, rpc: "FakeRpc", service: str):
        self._rpc, self._service = rpc, service

    def __getattr__(self, method: str) -> FakeMethod:
        return FakeMethod(self._rpc, f"{self._service}.{method}")


class FakeRpc:
    """``rpc.partners.get_partner(id)`` -> ``answers["partners.get_partner"](id)``."""

    def __init__(self, answers: dict[str, Any] | None = None):
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, service: str) -> FakeService:
        if service.startswith("_"):
            raise AttributeError(service)
        return FakeService(self, service)

    def called(self, name: str) -> list[tuple]:
        return [args for called, args in self.calls if called == name]


class CapturedClicks:
    """The clicks' hand-over (services/bff/clicks.py) as a list: captured = confirmed."""

    def __init__(self):
        self.captured: list[tuple[dict, str | None]] = []
        self.fail: Exception | None = None

    def capture(self, click: dict, correlation_id: str | None = None) -> None:
        if self.fail:
            raise self.fail
        self.captured.append((click, correlation_id))


class Harness:
    def __init__(self, answers: dict[str, Any] | None = None, **bff_settings):
        self.rpc = FakeRpc({"tracking.record_partner_ip": {}, **(answers or {})})
        self.codec = TokenCodec(SECRET)
        self.clicks = CapturedClicks()
        config = {"AMQP_URI": "memory://", "BFF": bff_settings}
        self.edge = EdgeState(settings=settings.from_config(config), codec=self.codec,
                              limiter=RateLimiter(), config=config, clicks=self.clicks)
        self.url_map = Map([Rule(r.path, methods=[r.method], endpoint=r) for r in ROUTES])

    def token(self, role: str, subject: str | None = None) -> str:
        return self.codec.mint(role, subject or ("ops" if role == "admin" else new_id()), 600)

    def request(self, method: str, path: str, token: str | None = None, *, json_body=None,
                data: bytes | str | None = None, headers: dict | None = None,
                remote_addr: str = "203.0.113.7") -> "Answer":
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        environ = EnvironBuilder(method=method, path=path, data=data, headers=headers,
                                 environ_base={"REMOTE_ADDR": remote_addr}).get_environ()
        declared, values = self.url_map.bind_to_environ(environ).match()
        response = pipeline.handle(declared, Request(environ), values, edge=self.edge,
                                   rpc=self.rpc, request_id="req-1")
        return Answer(response.status_code, dict(response.headers), response.get_data(True))


class Answer:
    def __init__(self, status: int, headers: dict, text: str):
        self.status_code, self.headers, self.text = status, headers, text

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict:
        return self.json()["error"]


def new_id() -> str:
    return str(uuid.uuid4())
