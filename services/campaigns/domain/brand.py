"""The Brand aggregate: an advertiser that runs campaigns and pays in one currency."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Currency


@dataclasses.dataclass(frozen=True, kw_only=True)
class BrandRegistered(DomainEvent):
    brand_id: str
    name: str
    currency: str


class Brand(AggregateRoot):
    def __init__(self, *, id: str, name: str, currency: str, registered_at: datetime):
        self.id = id
        self.name = name
        self.currency = Currency(currency).code
        self.registered_at = registered_at

    @classmethod
    def register(cls, *, name: str, currency: str, now: datetime) -> "Brand":
        brand = cls(id=new_id(), name=name.strip(), currency=currency, registered_at=now)
        brand.record(BrandRegistered(brand_id=brand.id, name=brand.name,
                                     currency=brand.currency, occurred_at=now))
        return brand
