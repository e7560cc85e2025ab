"""Commands (imperative: RegisterPartner) and queries (GetPartner) as plain dataclasses."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, kw_only=True)
class Command:
    """An intent to change state. Exactly one handler."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Query:
    """A question about state. Exactly one handler; changes nothing."""
