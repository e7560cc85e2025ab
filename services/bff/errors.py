"""Every failure becomes one HTTP answer shape, with no internals in it.

    {"error": {"code": "...", "message": "...", "fields": {...}, "request_id": "..."}}

The services' typed errors (raised through RPC as their own classes, see
``common.nameko.errors``) map to fixed statuses. A service-specific subclass the BFF
does not import arrives as a ``RemoteError`` whose value is the error's JSON
(``{"code", "message", "fields"}``): its code decides the status (unknown codes of a
well-formed domain error are business-rule refusals, 409). Anything else -- a bug here,
a service's unexpected exception -- is a 500 with a fixed message: the details go to the
log with the request id, never to the client.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from common.seedwork.errors import (
    BusinessRuleViolation,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationError,
)

log = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = NotFound.default_message
INTERNAL_MESSAGE = "An unexpected error occurred. Quote the request id if you report it."


class ApiError(Exception):
    """An error answer: HTTP status, stable code, human message, per-field messages."""

    def __init__(self, status: int, code: str, message: str,
                 fields: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields,
                          "request_id": request_id}}


# -- the BFF's own refusals ---------------------------------------------------------------
def malformed(message: str, fields: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, "malformed_request", message, fields)


def invalid(fields: dict[str, Any]) -> ApiError:
    return ApiError(422, ValidationError.code, ValidationError.default_message, fields)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The request body exceeds {limit} bytes.")


def empty_path_segment() -> ApiError:
    return ApiError(404, "route_not_found", "No such route: the path has an empty segment (//).")


def uri_too_long(limit: int) -> ApiError:
    return ApiError(414, "uri_too_long",
                    f"The request line exceeds {limit} bytes: shorten the path or query string.")


def headers_too_large(line_limit: int, total_limit: int, count_limit: int) -> ApiError:
    return ApiError(431, "headers_too_large",
                    f"The request headers are too large: at most {line_limit} bytes a line, "
                    f"{total_limit} bytes and {count_limit} headers in all.")


def http_version_not_supported() -> ApiError:
    return ApiError(505, "http_version_not_supported", "Use HTTP/1.1 (or HTTP/1.0).")


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message,
                    headers={"WWW-Authenticate": 'Bearer realm="alpes-partners"'})


def forbidden() -> ApiError:
    return ApiError(403, Forbidden.code, "Your role may not use this operation.")


def csrf_refused() -> ApiError:
    return ApiError(403, "csrf_failed", "A request that changes something with a session "
                    "cookie must carry the session's CSRF token in X-CSRF-Token.")


def account_suspended() -> ApiError:
    return ApiError(403, "account_suspended", "This account is suspended.")


def scope_missing(scope: str | None) -> ApiError:
    needed = f"the scope {scope}" if scope else "a session or a bearer token"
    return ApiError(403, Forbidden.code, f"This API key may not use this operation: it needs "
                    f"{needed}.")


def not_found() -> ApiError:
    """The same answer whether the object is missing or belongs to someone else."""
    return ApiError(404, NotFound.code, NOT_FOUND_MESSAGE)


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(429, "rate_limited", "Too many requests; retry later.",
                    headers={"Retry-After": str(retry_after)})


def unavailable(fields: dict[str, Any] | None = None) -> ApiError:
    return ApiError(503, ServiceUnavailable.code, ServiceUnavailable.default_message, fields)


def internal() -> ApiError:
    return ApiError(500, "internal_error", INTERNAL_MESSAGE)


# -- mapping -------------------------------------------------------------------------------
_STATUS_BY_CLASS: tuple[tuple[type[DomainError], int], ...] = (
    (ValidationError, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (BusinessRuleViolation, 409),
    (ServiceUnavailable, 503),
)
_STATUS_BY_CODE = {"validation_error": 422, "not_found": 404, "conflict": 409,
                   "invalid_credentials": 401, "login_throttled": 429,
                   "concurrent_modification": 409, "forbidden": 403,
                   "business_rule_violation": 409, "budget_exhausted": 409,
                   "service_unavailable": 503}
_UNKNOWN_DOMAIN_STATUS = 409


def from_exception(error: BaseException) -> ApiError:
    if isinstance(error, ApiError):
        return error
    if isinstance(error, DomainError):
        return _from_domain(_status_of(error), error.code, error.message, error.fields)
    if isinstance(error, RemoteError):
        remote = _remote_domain_error(error)
        if remote is not None:
            return remote
    if isinstance(error, RequestEntityTooLarge):
        return ApiError(413, "payload_too_large", "The request body is too large.")
    if isinstance(error, HTTPException):
        return from_http_exception(error)
    log.error("unexpected error answering a request", exc_info=error)
    return internal()


def from_http_exception(error: HTTPException) -> ApiError:
    """Routing failures (no such route, wrong method) in the same JSON shape."""
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return ApiError(405, "method_not_allowed", "This route does not accept that method.",
                        headers={"Allow": allowed} if allowed else None)
    if error.code == 404:
        return ApiError(404, "route_not_found", "No such route.")
    if error.code == 413:
        return ApiError(413, "payload_too_large", "The request body is too large.")
    if error.code and 400 <= error.code < 500:
        return malformed("The request could not be understood.")
    return internal()


def _status_of(error: DomainError) -> int:
    for error_class, status in _STATUS_BY_CLASS:
        if isinstance(error, error_class):
            return status
    return _STATUS_BY_CODE.get(error.code, _UNKNOWN_DOMAIN_STATUS)


def _from_domain(status: int, code: str, message: str, fields: dict[str, Any]) -> ApiError:
    if status == 404:
        return not_found()  # never echo what a service said about a missing object
    if status == 503:
        return unavailable(fields)
    return ApiError(status, code, message, fields)


def _remote_domain_error(error: RemoteError) -> ApiError | None:
    """A service-specific DomainError subclass, from the JSON text it travels as."""
    try:
        data = json.loads(error.value) if isinstance(error.value, str) else None
    except ValueError:
        return None
    return _from_dict(data)


def from_error_dict(data: Any) -> ApiError:
    """A domain error a service answered as data (``{"code", "message", "fields"}``, e.g.
    one item of a batch); anything else is unexpected."""
    mapped = _from_dict(data)
    if mapped is None:
        log.error("a service answered a malformed error: %r", data)
        return internal()
    return mapped


def _from_dict(data: Any) -> ApiError | None:
    if not isinstance(data, dict) or set(data) != {"code", "message", "fields"}:
        return None
    code, message, fields = data["code"], data["message"], data["fields"]
    if not (isinstance(code, str) and isinstance(message, str) and isinstance(fields, dict)):
        return None
    return _from_domain(_STATUS_BY_CODE.get(code, _UNKNOWN_DOMAIN_STATUS), code, message,
                        fields)
