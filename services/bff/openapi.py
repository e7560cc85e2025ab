"""The OpenAPI 3 document, generated from the route table and its marshmallow schemas.

Nothing is written by hand: each declared route becomes an operation with its path
parameters, query parameters (from its query schema), request body, success answer and
the error answers every route can give (one shared ``Error`` schema). A test checks the
document and the live routes match both ways.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from common.seedwork.domain.iso import COUNTRY_CODES, CURRENCY_MINOR_UNITS
from common.validation import CountryCode, CurrencyCode, DecimalString, Id, UTCDateTimeField
from services.bff.credentials import API_KEY_HEADER, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE
from services.bff.routing import ActorId, NoQuery, Route
from services.bff.schemas.common import Error

TITLE = "AlpesPartners API"
VERSION = "1.0.0"
BEARER = "bearerAuth"
COOKIE = "cookieAuth"
API_KEY = "apiKeyAuth"

_ERRORS = {
    "400": ("MalformedRequest",
            "Malformed request (not JSON, too deep, a body where none is taken...)"),
    "401": ("Unauthorized", "Missing, malformed, tampered or expired bearer token; an "
                            "unknown or revoked API key; an ended session"),
    "403": ("Forbidden", "The caller's role (or API key's scopes) may not use this "
                         "operation; a missing CSRF token; a suspended account"),
    "404": ("NotFound", "No such object (or not yours)"),
    "409": ("Refused", "Refused by a business rule or the current state"),
    "413": ("PayloadTooLarge", "Request body too large"),
    "414": ("UriTooLong", "The request line (path and query string) is over the server's "
                          "limit"),
    "422": ("InvalidInput", "Invalid input: `fields` names each bad field"),
    "429": ("RateLimited", "Rate limited: retry after `Retry-After` seconds"),
    "431": ("HeadersTooLarge", "A header line, the header block or the number of headers "
                               "is over the server's limit"),
    "500": ("Unexpected", "Unexpected error (no details: quote the request id)"),
    "503": ("ServiceUnavailable", "A service did not answer in time"),
}
_PUBLIC_ERRORS = ("400", "413", "414", "422", "429", "431", "500", "503")


@lru_cache(maxsize=4)
def document(routes: tuple[Route, ...]) -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "Brand consoles, partner portals and brands' "
                                        "servers. Every answer carries `X-Request-Id`."})
    plugin.map_to_openapi_type(UTCDateTimeField, "string", "date-time")
    plugin.map_to_openapi_type(ActorId, "string", None)
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer",
                                             "bearerFormat": "JWT"})
    spec.components.security_scheme(COOKIE, {
        "type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
        "description": "A browser session (POST /api/v1/auth/login). Requests that change "
                       f"something must also send the session's CSRF token in {CSRF_HEADER}."})
    spec.components.security_scheme(API_KEY, {
        "type": "apiKey", "in": "header", "name": API_KEY_HEADER,
        "description": "A brand's API key (ak_live_...), also accepted as "
                       "`Authorization: Bearer ak_live_...`; only on operations its scopes "
                       "open."})
    plugin.map_to_openapi_type(Id, "string", "uuid")
    plugin.converter.add_attribute_function(_code_lists)
    plugin.converter.add_attribute_function(_decimals)
    spec.components.schema("Error", schema=Error)
    for name, description in _ERRORS.values():
        spec.components.response(name, {"description": description, "content": {
            "application/json": {"schema": "Error"}}})
    for path, operations in _by_path(routes).items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _code_lists(converter, field, **kwargs) -> dict[str, Any]:
    """Currencies and countries are closed lists: the document names every accepted code
    (sent upper case; lower case is accepted too)."""
    if isinstance(field, CurrencyCode):
        return {"enum": sorted(CURRENCY_MINOR_UNITS), "description": "ISO 4217 code"}
    if isinstance(field, CountryCode):
        return {"enum": sorted(COUNTRY_CODES), "description": "ISO 3166-1 alpha-2 code"}
    return {}


def _decimals(converter, field, **kwargs) -> dict[str, Any]:
    """A decimal is sent as a string ("12.50", preferred) or a JSON number, which the BFF
    reads exactly (never as a float): the document says both, so a client generated from
    it may send either, and a fuzzer sending a number is not "breaking the schema"."""
    if not isinstance(field, DecimalString):
        return {}
    return {"oneOf": [{"type": "string", "format": "decimal"}, {"type": "number"}]}


def documented_operations(document_: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in document_["paths"].items()
            for method in operations}


def _by_path(routes: Iterable[Route]) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for declared in routes:
        paths.setdefault(declared.openapi_path, {})[declared.method.lower()] = _operation(
            declared)
    return paths


def _operation(declared: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": declared.name,
        "summary": declared.summary,
        "tags": [declared.tag] if declared.tag else [],
        "parameters": _parameters(declared),
        "responses": _responses(declared),
    }
    if declared.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": declared.body}}}
    if declared.public:
        operation["security"] = []
    else:
        operation["security"] = [{BEARER: []}, {COOKIE: []}]
        description = f"Roles: {', '.join(declared.roles)}."
        if declared.api_key_scope:
            operation["security"].append({API_KEY: []})
            description += f" API keys with the scope `{declared.api_key_scope}`."
        if declared.method not in SAFE_METHODS:
            description += f" With a session cookie: send `{CSRF_HEADER}`."
        operation["description"] = description
    return operation


def _parameters(declared: Route) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    if declared.variables:
        parameters.append({"in": "path", "schema": type(declared.path_schema)})
    if declared.query is not NoQuery:
        parameters.append({"in": "query", "schema": declared.query})
    return parameters


def _responses(declared: Route) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "OK"}
    if declared.status == 302:
        success = {"description": "Redirect to the landing page (click id appended)",
                   "headers": {"Location": {"schema": {"type": "string"}}}}
    elif declared.media_type != "application/json":
        success["content"] = {declared.media_type: {"schema": {"type": "string"}}}
    elif declared.response is not None:
        success["content"] = {"application/json": {"schema": declared.response}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    statuses = set(_ERRORS) if not declared.public else set(_PUBLIC_ERRORS)
    if declared.public and declared.variables:
        statuses.add("404")
    if declared.public and declared.body is not None:
        statuses.add("409")  # e.g. signing up with an email already registered
    statuses.update(str(status) for status in declared.errors)
    answers = {str(declared.status): success}
    answers.update({status: _ERRORS[status][0] for status in sorted(statuses)})
    return answers
