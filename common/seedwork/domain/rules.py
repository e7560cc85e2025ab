"""Business rules as small objects the aggregates check (after pgorecki/python-ddd)."""
from __future__ import annotations

from common.seedwork.errors import BusinessRuleViolation


class BusinessRule:
    """A named rule. ``is_broken`` says whether the current state violates it."""

    message: str = "A business rule is broken."
    error: type[BusinessRuleViolation] = BusinessRuleViolation

    def is_broken(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return self.message

    @property
    def name(self) -> str:
        return type(self).__name__


def check_rule(rule: BusinessRule) -> None:
    if rule.is_broken():
        raise rule.error(rule.describe(), {"rule": [rule.name]})


class StatusMustBe(BusinessRule):
    """A lifecycle step allowed only from some statuses (enum members with a ``value``)::

        check_rule(StatusMustBe("commission", self.status, (Status.PENDING,), "approve"))
    """

    def __init__(self, subject: str, status, allowed: tuple, action: str):
        self.subject = subject
        self.status = status
        self.allowed = tuple(allowed)
        self.action = action

    def is_broken(self) -> bool:
        return self.status not in self.allowed

    def describe(self) -> str:
        allowed = " or ".join(status.value for status in self.allowed)
        return (f"Cannot {self.action} a {self.status.value} {self.subject} "
                f"(it must be {allowed}).")
