"""The payouts message bus provider: the shared one, plus the payment provider port
built from config.yaml over the service's database (the simulated PSP keeps its records
there)."""
from __future__ import annotations

from common.nameko.bus import MessageBusProvider
from services.payouts.infrastructure.psp import build_psp


class PayoutsBusProvider(MessageBusProvider):
    def setup(self):
        super().setup()
        settings = self.container.config.get("PAYOUTS") or {}
        self.dependencies["psp"] = build_psp(settings.get("psp"), self.database)
