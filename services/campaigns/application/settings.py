"""The service's knobs (config.yaml ``CAMPAIGNS``), read once at start."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

SECTION = "CAMPAIGNS"


@dataclasses.dataclass(frozen=True)
class CampaignsSettings:
    public_base_url: str = "http://localhost:8000"   # tracking links: <base>/r/<code>
    expiry_batch_size: int = 100                      # campaigns ended per timer run

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "CampaignsSettings":
        values = section or {}
        return cls(
            public_base_url=str(values.get("public_base_url") or cls.public_base_url),
            expiry_batch_size=int(values.get("expiry_batch_size", cls.expiry_batch_size)))
