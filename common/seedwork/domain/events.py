"""Domain events: facts that happened inside an aggregate, named in the past tense."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from common.seedwork.domain.clock import utcnow


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    occurred_at: datetime = dataclasses.field(default_factory=utcnow)
