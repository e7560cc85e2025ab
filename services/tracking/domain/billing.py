"""Pay-per-click billing: valid clicks under CPC terms leave tracking in batches.

A :class:`ClickBatch` counts the billable clicks of one enrollment (partner on a
campaign) during one UTC day under one terms version. Each click belongs to exactly one
batch: the batch stamps its clicks in the same transaction that writes its event to
the outbox, and only unstamped clicks are ever batched.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent
from services.tracking.domain.terms import TermsVersion


@dataclasses.dataclass(frozen=True)
class BillableClick(ValueObject):
    click_id: str
    brand_id: str
    campaign_id: str
    partner_id: str
    enrollment_id: str
    occurred_at: datetime
    terms_version: int

    @property
    def batch_key(self) -> tuple:
        return (self.enrollment_id, self.occurred_at.date(), self.terms_version)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValidClicksBatched(DomainEvent):
    batch: "ClickBatch"


class ClickBatch(AggregateRoot):
    def __init__(self, *, id: str, brand_id: str, campaign_id: str, partner_id: str,
                 enrollment_id: str, day: date, terms: TermsVersion, click_ids: list[str],
                 first_click_at: datetime, last_click_at: datetime):
        self.id = id
        self.brand_id = brand_id
        self.campaign_id = campaign_id
        self.partner_id = partner_id
        self.enrollment_id = enrollment_id
        self.day = day
        self.terms = terms
        self.click_ids = click_ids
        self.first_click_at = first_click_at
        self.last_click_at = last_click_at

    @classmethod
    def of(cls, clicks: list[BillableClick], terms: TermsVersion, now: datetime) -> "ClickBatch":
        """A batch of clicks sharing one batch key (enrollment, day, terms version)."""
        first = clicks[0]
        times = [c.occurred_at for c in clicks]
        batch = cls(
            id=new_id(), brand_id=first.brand_id, campaign_id=first.campaign_id,
            partner_id=first.partner_id, enrollment_id=first.enrollment_id,
            day=first.occurred_at.date(), terms=terms, click_ids=[c.click_id for c in clicks],
            first_click_at=min(times), last_click_at=max(times))
        batch.record(ValidClicksBatched(batch=batch, occurred_at=now))
        return batch

    @property
    def size(self) -> int:
        return len(self.click_ids)


TermsLookup = Callable[[str, int], TermsVersion | None]


def batch_clicks(clicks: Iterable[BillableClick], terms_of: TermsLookup,
                 now: datetime) -> list[ClickBatch]:
    """Group billable clicks into batches. Clicks whose terms version is unknown stay
    out (and unstamped): they are billed once the version has been replicated."""
    groups: dict[tuple, list[BillableClick]] = defaultdict(list)
    for click in clicks:
        groups[click.batch_key].append(click)
    batches = []
    for members in groups.values():
        terms = terms_of(members[0].campaign_id, members[0].terms_version)
        if terms is not None:
            batches.append(ClickBatch.of(members, terms, now))
    return batches
