"""The route table: one declaration per operation, read by the HTTP layer and OpenAPI.

    @route("GET", "/api/v1/partners/<partner_id>", roles=(ADMIN, PARTNER),
           response=PartnerOut, summary="A partner's profile")
    def get_partner(call, partner_id): ...

A declaration names who may call it (no roles: public), its rate-limit policy, the
marshmallow schemas of its query string, body and answer, and its success status.
Path variables are validated too: ``*_id`` is a UUID, anything else 1 to 200
characters (its handler knows its shape). The same table drives the Nameko entrypoints
(``web.mount``) and the OpenAPI document (``openapi``), so neither can drift from the
other.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow
from marshmallow import Schema, fields, validate

from common.validation import Id, StrictSchema
from services.bff.auth import BRAND, Principal

REPORTS_READ = "reports:read"
CONVERSIONS_WRITE = "conversions:write"

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class NoQuery(StrictSchema):
    """Routes without query parameters refuse any."""


@dataclasses.dataclass
class Call:
    """What a resource handler gets: the caller, the validated input, the RPC client."""

    principal: Principal | None
    path: dict[str, Any]
    body: dict[str, Any]
    query: dict[str, Any]
    rpc: Any
    request: Any
    request_id: str
    client_ip: str
    edge: Any  # the BFF's shared state: settings, token codec, config
    bus: Any = None  # the worker's message bus over the BFF's read model (dashboards)

    @property
    def settings(self):
        return self.edge.settings


@dataclasses.dataclass(frozen=True)
class Reply:
    """A handler's answer when the route's usual status or headers do not fit."""

    body: Any
    status: int = 200
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[..., Any]
    roles: tuple[str, ...] = ()
    limit: str | None = None
    body: type[Schema] | None = None
    query: type[Schema] = NoQuery
    response: type[Schema] | None = None
    status: int = 200
    summary: str = ""
    tag: str = ""
    html_errors: bool = False
    bad_path_is_not_found: bool = False  # a path value that cannot exist answers 404
    media_type: str = "application/json"  # of the success answer (the docs page: HTML)
    scope: str | None = None  # the API-key scope that opens it (default: reads of brands)
    keyless: bool = False     # never with an API key (managing keys, users, sessions)
    errors: tuple[int, ...] = ()  # error statuses a public route answers beyond the usual
    # the handler's answer is already in the response's shape (built by the read model's
    # views, checked against the schema by the tests): sent as it is, not dumped again
    dumped: bool = False
    # The lean path (``pipeline.prepare_lean``), for a public GET answered thousands of
    # times a second (``/r/<code>``): matched by its prefix, not werkzeug's map, and a
    # request with neither query string nor body skips the schemas -- the handler checks
    # its one path value itself, refusing at least what the path schema refuses (404).
    lean: bool = False

    def __post_init__(self):
        if self.lean and not (self.public and self.method == "GET" and self.body is None
                              and self.bad_path_is_not_found and self.lean_prefix):
            raise ValueError(f"{self.method} {self.path}: a lean route is a public GET "
                             "without a body, ending in its only path variable, whose bad "
                             "path value is a 404")

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def rate_policy(self) -> str:
        return self.limit or ("public" if self.public else "token")

    @property
    def api_key_scope(self) -> str | None:
        """The scope an API key needs here; None: API keys are refused. Brands' reads
        (GET routes a brand may call) need ``reports:read`` unless declared otherwise."""
        if self.keyless or self.public or BRAND not in self.roles:
            return None
        if self.scope:
            return self.scope
        return REPORTS_READ if self.method == "GET" else None

    @property
    def variables(self) -> list[str]:
        return _VARIABLE.findall(self.path)

    @property
    def lean_prefix(self) -> str | None:
        """``/r/`` of ``/r/<code>``: the path before its one, last variable (else None)."""
        head, _, tail = self.path.rpartition("<")
        if len(self.variables) != 1 or not tail.endswith(">") or "/" in tail:
            return None
        return head

    @property
    def openapi_path(self) -> str:
        return _VARIABLE.sub(lambda match: "{" + match.group(1) + "}", self.path)

    @functools.cached_property
    def path_schema(self) -> Schema:
        return _path_schema(tuple(self.variables))()

    # One instance per route, built once: marshmallow schemas are reusable, and building
    # them on every request would cost more than loading with them.
    @functools.cached_property
    def query_schema(self) -> Schema:
        return self.query()

    @functools.cached_property
    def body_schema(self) -> Schema | None:
        return self.body() if self.body else None

    @functools.cached_property
    def response_schema(self) -> Schema | None:
        return self.response() if self.response else None


ROUTES: list[Route] = []


def route(method: str, path: str, **options: Any) -> Callable[[Callable], Callable]:
    def register(handler: Callable) -> Callable:
        declared = Route(method=method, path=path, handler=handler, **options)
        clash = [r for r in ROUTES if r.name == declared.name
                 or (r.method, r.path) == (method, path)]
        if clash:
            raise ValueError(f"route {method} {path} ({declared.name}) is declared twice")
        ROUTES.append(declared)
        return handler

    return register


_PATH_SCHEMAS: dict[tuple[str, ...], type[Schema]] = {}


def _path_schema(variables: tuple[str, ...]) -> type[Schema]:
    if variables not in _PATH_SCHEMAS:
        declared = {name: _path_field(name) for name in variables}
        _PATH_SCHEMAS[variables] = type(f"Path_{'_'.join(variables) or 'none'}",
                                        (StrictSchema,), declared)
    return _PATH_SCHEMAS[variables]


def _path_field(name: str) -> fields.Field:
    if name.endswith("_id"):
        return Id(required=True)
    return fields.String(required=True, validate=validate.Length(min=1, max=200))


class ActorId(fields.Field):
    """An id naming the actor that a client may send but the token decides.

    Accepted (so old clients keep working) and dropped: it never reaches the service.
    """

    def __init__(self, **kwargs):
        metadata = {"description": "Ignored: the bearer token names the actor."}
        super().__init__(load_only=True, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return value


class Body(StrictSchema):
    """Request bodies: unknown fields refused, actor ids dropped after loading."""

    @marshmallow.post_load
    def _drop_actor_ids(self, data: dict, **kwargs) -> dict:
        for name, field in self.fields.items():
            if isinstance(field, ActorId):
                data.pop(field.data_key or name, None)
                data.pop(name, None)
        return data
