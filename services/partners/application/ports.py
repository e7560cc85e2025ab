"""What the partners use cases need from the outside world (implemented in infrastructure)."""
from __future__ import annotations

from typing import Protocol

from common.seedwork.application.unit_of_work import UnitOfWork
from services.partners.domain.partner import Partner


class PartnerRepository(Protocol):
    def add(self, partner: Partner) -> None:
        """Raises Conflict when the email is already registered (case-insensitive)."""
    def save(self, partner: Partner) -> None: ...
    def get(self, partner_id: str, *, for_update: bool = False) -> Partner | None: ...
    def get_by_email(self, email: str) -> Partner | None: ...


class PartnersUnitOfWork(UnitOfWork, Protocol):
    partners: PartnerRepository
