import dataclasses
import json

import pytest
from nameko.exceptions import deserialize, serialize

import common.nameko  # noqa: F401  (registers error classes with nameko)
from common.seedwork.application.bus import HandlerRegistry, MessageBus
from common.seedwork.application.messages import Command, Query
from common.seedwork.errors import (
    AlreadyProcessed,
    BusinessRuleViolation,
    ConcurrencyConflict,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationError,
)


def test_error_text_is_json_a_caller_can_read():
    error = ValidationError("The input is invalid.", {"email": ["Not a valid email."]})
    assert json.loads(str(error)) == {
        "code": "validation_error", "message": "The input is invalid.",
        "fields": {"email": ["Not a valid email."]}}


@pytest.mark.parametrize("error_class", [
    ValidationError, NotFound, Conflict, ConcurrencyConflict, Forbidden, BusinessRuleViolation])
def test_errors_survive_nameko_serialisation_as_their_own_type(error_class):
    error = error_class("nope", {"field": ["bad"]})
    rebuilt = deserialize(serialize(error))
    assert type(rebuilt) is error_class
    assert rebuilt.fields == {"field": ["bad"]} and rebuilt.message == "nope"


def test_an_error_class_defined_later_is_registered_too():
    class BudgetLike(BusinessRuleViolation):
        code = "budget_like"

    rebuilt = deserialize(serialize(BudgetLike("empty")))
    assert isinstance(rebuilt, BudgetLike) and rebuilt.code == "budget_like"


def test_default_messages():
    assert NotFound().message and isinstance(NotFound(), DomainError)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Hello(Command):
    who: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Ask(Query):
    what: str


def make_bus():
    registry = HandlerRegistry()

    @registry.command(Hello)
    def hello(cmd, uow, greeting):
        return f"{greeting}, {cmd.who} ({uow})"

    @registry.query(Ask)
    def ask(query):
        return query.what.upper()

    return registry, MessageBus("uow", registry, {"greeting": "hi"})


def test_bus_injects_dependencies_by_parameter_name():
    _, bus = make_bus()
    assert bus.handle(Hello(who="ana")) == "hi, ana (uow)"
    assert bus.query(Ask(what="x")) == "X"


def test_bus_refuses_unknown_messages_and_double_registration():
    registry, bus = make_bus()
    with pytest.raises(LookupError):
        bus.query(Hello(who="x"))
    with pytest.raises(ValueError):
        registry.command(Hello)(lambda cmd: None)


def test_bus_reports_missing_dependencies_clearly():
    registry = HandlerRegistry()
    registry.command(Hello)(lambda cmd, clock: None)
    with pytest.raises(LookupError, match="clock"):
        MessageBus("uow", registry).handle(Hello(who="x"))


def test_an_already_processed_message_is_a_no_op():
    registry = HandlerRegistry()

    @registry.command(Hello)
    def duplicate(cmd):
        raise AlreadyProcessed(("consumer", "event"))

    assert MessageBus("uow", registry).handle(Hello(who="x")) is None
