from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common.seedwork.errors import Conflict
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.partners.domain.partner import Partner
from services.partners.domain.payout_method import PayoutMethod
from services.partners.infrastructure.tables import partners


class SqlPartnerRepository(SqlAlchemyRepository[Partner]):
    table = partners

    def add(self, partner: Partner) -> None:
        """The case-insensitive unique index on email is the guarantee (no race)."""
        try:
            super().add(partner)
        except IntegrityError:
            raise Conflict("A partner with this email is already registered.",
                           {"email": ["Already registered."]}) from None

    def get_by_email(self, email: str) -> Partner | None:
        return self._one(select(partners).where(
            func.lower(partners.c.email) == email.strip().lower()))

    def _to_row(self, partner: Partner) -> dict:
        return {
            "id": partner.id, "name": partner.name, "email": partner.email,
            "type": partner.type.value, "country": partner.country,
            "status": partner.status.value, "kyc_status": partner.kyc_status.value,
            "payout_method": partner.payout_method.to_dict() if partner.payout_method else None,
            "suspension_reason": partner.suspension_reason,
            "registered_at": partner.registered_at, "updated_at": partner.updated_at,
            "revision": partner.revision,
        }

    def _from_row(self, row) -> Partner:
        return Partner(
            id=row.id, name=row.name, email=row.email, type=row.type, country=row.country,
            status=row.status, kyc_status=row.kyc_status,
            payout_method=_payout_method(row.payout_method),
            registered_at=row.registered_at, updated_at=row.updated_at,
            revision=row.revision, suspension_reason=row.suspension_reason,
        )


def _payout_method(data) -> PayoutMethod | None:
    if not data:
        return None
    return PayoutMethod(data["type"], tuple(sorted(
        (key, value) for key, value in data.items() if key != "type")))
