"""The service's knobs (config.yaml ``COMMISSIONS``), read once at start."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

SECTION = "COMMISSIONS"


@dataclasses.dataclass(frozen=True)
class CommissionsSettings:
    approval_batch_size: int = 500        # commissions approved per timer run
    parked_refunds_batch_size: int = 100  # parked refunds applied per timer run
    balances_batch_rows: int = 500        # ledgers (and budgets) per balances_changed event

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "CommissionsSettings":
        values = section or {}
        return cls(
            approval_batch_size=int(values.get("approval_batch_size", cls.approval_batch_size)),
            parked_refunds_batch_size=int(values.get("parked_refunds_batch_size",
                                                     cls.parked_refunds_batch_size)),
            balances_batch_rows=int(values.get("balances_changed_max_rows",
                                               cls.balances_batch_rows)))
