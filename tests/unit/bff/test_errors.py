"""Every failure maps to a fixed status and code, and no internals reach the client."""
import json

import pytest
from nameko.exceptions import RemoteError
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound

from common.contracts.campaigns import InsufficientBudget
from common.seedwork.errors import (
    BusinessRuleViolation,
    ConcurrencyConflict,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationError,
)
from services.bff import errors


@pytest.mark.parametrize("error, status, code", [
    (ValidationError("bad", {"email": ["Not a valid email."]}), 422, "validation_error"),
    (NotFound("Partner 42 does not exist."), 404, "not_found"),
    (Conflict("taken"), 409, "conflict"),
    (ConcurrencyConflict(), 409, "concurrent_modification"),
    (Forbidden("no"), 403, "forbidden"),
    (BusinessRuleViolation("rule", {"rule": ["KycMustBeVerified"]}), 409,
     "business_rule_violation"),
    (InsufficientBudget(), 409, "insufficient_budget"),
    (ServiceUnavailable("tracking.x did not answer", {"service": ["tracking"]}), 503,
     "service_unavailable"),
])
def test_typed_errors_map_to_fixed_statuses_and_codes(error, status, code):
    mapped = errors.from_exception(error)
    assert (mapped.status, mapped.code) == (status, code)


def test_not_found_never_echoes_what_the_service_said():
    mapped = errors.from_exception(NotFound("Partner 42 does not exist.", {"id": ["x"]}))
    assert mapped.message == errors.NOT_FOUND_MESSAGE and mapped.fields == {}


def test_a_validation_error_keeps_its_fields():
    mapped = errors.from_exception(ValidationError("bad", {"email": ["Not a valid email."]}))
    assert mapped.fields == {"email": ["Not a valid email."]}


def remote(code, message="Refused.", fields=None, exc_type="CampaignNotActive"):
    value = json.dumps({"code": code, "message": message, "fields": fields or {}})
    return RemoteError(exc_type, value)


@pytest.mark.parametrize("code, status", [("not_found", 404), ("validation_error", 422),
                                          ("campaign_not_active", 409), ("forbidden", 403)])
def test_a_service_specific_error_is_mapped_by_its_code(code, status):
    mapped = errors.from_exception(remote(code))
    assert (mapped.status, mapped.code if status != 404 else "not_found") == (
        status, code if status != 404 else "not_found")


def test_an_unexpected_remote_error_is_a_bare_500():
    leaky = RemoteError("KeyError", "'secret' at /srv/app/services/x.py line 3")
    mapped = errors.from_exception(leaky)
    assert mapped.status == 500 and mapped.code == "internal_error"
    body = json.dumps(mapped.body("rid"))
    assert "KeyError" not in body and ".py" not in body


def test_a_bug_in_the_bff_is_a_bare_500():
    mapped = errors.from_exception(ZeroDivisionError("division by zero"))
    assert (mapped.status, mapped.code, mapped.message) == (500, "internal_error",
                                                             errors.INTERNAL_MESSAGE)


def test_routing_errors_keep_the_shape():
    assert errors.from_exception(RouteNotFound()).code == "route_not_found"
    not_allowed = errors.from_exception(MethodNotAllowed(valid_methods=["GET", "POST"]))
    assert not_allowed.status == 405 and not_allowed.headers == {"Allow": "GET, POST"}


def test_body_shape():
    body = errors.rate_limited(7).body("rid-1")
    assert body == {"error": {"code": "rate_limited", "message": "Too many requests; retry "
                              "later.", "fields": {}, "request_id": "rid-1"}}
    assert errors.rate_limited(7).headers == {"Retry-After": "7"}
