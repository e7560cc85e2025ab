"""What every request goes through, in a Nameko worker, before and after its handler.

rate limit (per IP for public routes) -> authenticate -> role -> rate limit (per token)
-> validate path, query string and body -> handler (RPC) -> shape the answer.

A lean route (``Route.lean``: the referral redirect) goes through ``prepare_lean``
instead: the same per-IP rate limit, and the same checks of its input, without running
the schemas over a request that has nothing for them to check.

Everything is checked before the handler runs, so refused input never reaches a service
and nothing changes. Any exception becomes the one JSON error shape (see ``errors``).
"""
from __future__ import annotations

import ipaddress
from typing import Any

from werkzeug.wrappers import Response

from common.seedwork.errors import ValidationError
from common.validation import load
from services.bff import auth, errors, jsonio, responses
from services.bff.routing import Call, Reply, Route

JSON_TYPES = ("application/json",)


def handle(route: Route, request, path_values: dict, *, edge, rpc, request_id: str,
           bus=None) -> Response:
    try:
        call = (prepare_lean if route.lean else prepare)(
            route, request, path_values, edge=edge, rpc=rpc, request_id=request_id, bus=bus)
        return render(route, route.handler(call, **call.path))
    except Exception as failure:  # noqa: BLE001 -- every failure gets the one error shape
        error = errors.from_exception(failure)
        html = route.html_errors and responses.wants_html(request.accept_mimetypes)
        return responses.error_response(error, request_id, html_page=html)


def prepare(route: Route, request, path_values: dict, *, edge, rpc, request_id: str,
            bus=None) -> Call:
    ip = client_ip(request, edge.settings.trust_forwarded_for)
    principal = None
    if route.public:
        _throttle(edge, route.rate_policy, ip)
    else:
        principal = authenticate_request(edge, request, rpc)
        if principal.role not in route.roles:
            raise errors.forbidden()
        if principal.via == auth.API_KEY and route.api_key_scope not in principal.scopes:
            raise errors.scope_missing(route.api_key_scope)
        _throttle(edge, route.rate_policy, principal.key)
        edge.credentials.check_csrf(principal, request)
    path, query, body = _validated(route, request, path_values, edge.settings)
    if principal is not None:
        # after validation: refused input never costs an RPC
        edge.credentials.check_standing(principal, rpc)
    return Call(principal=principal, path=path, body=body, query=query, rpc=rpc,
                request=request, request_id=request_id, client_ip=ip, edge=edge, bus=bus)


def prepare_lean(route: Route, request, path_values: dict, *, edge, rpc, request_id: str,
                 bus=None) -> Call:
    """``prepare`` for a lean route (public, GET, no body). A request with a query string
    or a body goes through the same checks as on any route. One with neither (a link
    followed as shared) has nothing to check but its path value, which the handler checks
    itself, refusing at least what the path schema would (a 404 either way)."""
    ip = client_ip(request, edge.settings.trust_forwarded_for)
    _throttle(edge, route.rate_policy, ip)
    environ = request.environ
    nothing_to_check = not environ.get("QUERY_STRING") and not _may_carry_body(environ)
    query = _without_parameters(route) if nothing_to_check else None
    if query is None:  # as on every route (the path first: a bad one is a 404)
        path, query, _ = _validated(route, request, path_values, edge.settings)
    else:
        path = path_values
    return Call(principal=None, path=path, body={}, query=query, rpc=rpc, request=request,
                request_id=request_id, client_ip=ip, edge=edge, bus=bus)


def _may_carry_body(environ) -> bool:
    """A declared length above zero, or a chunked body (``web`` marks it terminated)."""
    return (environ.get("CONTENT_LENGTH") or "0") != "0" or \
        bool(environ.get("wsgi.input_terminated"))


def _without_parameters(route: Route) -> dict | None:
    """The query schema's answer to no parameters; None if it refuses that."""
    bad: dict[str, Any] = {}
    query = _load(route.query_schema, {}, bad)
    return None if bad else query


def _validated(route: Route, request, path_values: dict, settings) -> tuple[dict, dict, dict]:
    """Path, query string and body, each through its schema; every bad field of the
    three is named in one 422 (a malformed body is a 400 of its own)."""
    if not route.body:
        _refuse_body(request, settings)
    raw_body = read_json(request, settings) if route.body else None
    bad: dict[str, Any] = {}
    path = _load(route.path_schema, path_values, bad)
    if bad and route.bad_path_is_not_found:
        raise errors.not_found()  # e.g. a referral code that cannot exist: no hint why
    query = _load(route.query_schema, _single_values(request.args, bad), bad)
    body = _load(route.body_schema, raw_body, bad) if route.body else {}
    if bad:
        raise errors.invalid(bad)
    return path, query, body


def _load(schema, data, bad: dict[str, Any]) -> dict:
    try:
        return load(schema, data)
    except ValidationError as refused:
        bad.update(refused.fields)
        return {}


def render(route: Route, result: Any) -> Response | responses.Redirect:
    if isinstance(result, (Response, responses.Redirect)):
        return result
    status, headers = route.status, {}
    if isinstance(result, Reply):
        status, headers, result = result.status, dict(result.headers), result.body
    if route.response_schema is not None and not route.dumped:
        result = route.response_schema.dump(result)
    return responses.json_response(result, status, headers)


def authenticate(codec: auth.TokenCodec, authorization: str | None) -> auth.Principal:
    try:
        return codec.read(auth.bearer_token(authorization))
    except auth.InvalidToken as refused:
        raise errors.unauthorized(str(refused)) from None


def authenticate_request(edge, request, rpc) -> auth.Principal:
    """A bearer JWT, an API key or a session cookie (``credentials``); 401 otherwise."""
    try:
        return edge.credentials.authenticate(request, edge.codec, rpc)
    except auth.InvalidToken as refused:
        raise errors.unauthorized(str(refused)) from None


def is_https(request, trust_forwarded: bool) -> bool:
    """Served over https: by this server, or by the trusted proxy in front of it."""
    if request.scheme == "https":
        return True
    if trust_forwarded:
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip()
        return proto.lower() == "https"
    return False


def client_ip(request, trust_forwarded_for: bool) -> str:
    """The caller's address; ``X-Forwarded-For`` only behind one trusted proxy, which
    appends the address it saw: the last entry (earlier ones are the client's say-so)."""
    if trust_forwarded_for:
        last = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass
    return request.remote_addr or "unknown"


def read_json(request, settings) -> Any:
    data = request.get_data(cache=True)  # bounded by max_content_length
    if len(data) > settings.max_body_bytes:
        raise errors.too_large(settings.max_body_bytes)
    if not data.strip():
        return {}
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise errors.ApiError(415, "unsupported_media_type",
                              "Send the body as JSON (Content-Type: application/json).")
    try:
        text = data.decode("utf-8")
        value = jsonio.parse(text, settings.max_json_depth)
    except UnicodeDecodeError:
        raise errors.malformed("The body is not UTF-8 text.") from None
    except jsonio.MalformedJson as bad:
        raise errors.malformed(str(bad)) from None
    if not isinstance(value, dict):
        raise errors.malformed("The body must be a JSON object.")
    return value


def _refuse_body(request, settings) -> None:
    """A route without a body refuses any; one over the limit is still a 413, chunked or
    not (the declared-length case never gets here), like on every other route."""
    data = request.get_data(cache=True)  # bounded by max_content_length
    if len(data) > settings.max_body_bytes:
        raise errors.too_large(settings.max_body_bytes)
    if data.strip():
        raise errors.malformed("This operation takes no request body.")


def _single_values(args, bad: dict[str, Any]) -> dict[str, str]:
    bad.update({key: ["Give this parameter once."] for key, values in args.lists()
                if len(values) > 1})
    return args.to_dict(flat=True)


def _throttle(edge, policy: str, key: str) -> None:
    wait = edge.limiter.hit(policy, key, edge.settings.limit(policy))
    if wait is not None:
        raise errors.rate_limited(wait)
