from common.seedwork.domain.entity import AggregateRoot, Entity, ValueObject
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Currency, Money
from common.seedwork.domain.rules import BusinessRule, check_rule

__all__ = [
    "AggregateRoot", "BusinessRule", "Currency", "DomainEvent", "Entity", "Money",
    "ValueObject", "check_rule",
]
