"""Conversions (data mapper with version check) and their refunds."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from common.seedwork.domain.money import Money
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.tracking.domain.attribution import ATTRIBUTED, CustomerReferral
from services.tracking.domain.conversion import Conversion, DuplicateOrder, Refund
from services.tracking.infrastructure.sql import upsert
from services.tracking.infrastructure.tables import conversion_refunds, conversions

# built once: the compiled-statement cache then serves every call (one per conversion)
_BY_ORDER = select(conversions).where(conversions.c.brand_id == bindparam("brand_id"),
                                      conversions.c.order_id == bindparam("order_id"))
_FIRST_OF_CUSTOMER = (
    select(conversions.c.enrollment_id, conversions.c.occurred_at)
    .where(conversions.c.brand_id == bindparam("brand_id"),
           conversions.c.customer_id == bindparam("customer_id"),
           conversions.c.customer_id.is_not(None),  # lets the partial index serve
           conversions.c.status == ATTRIBUTED,
           conversions.c.occurred_at <= bindparam("until"))
    .order_by(conversions.c.occurred_at, conversions.c.recorded_at).limit(1))


class SqlConversions(SqlAlchemyRepository[Conversion]):
    table = conversions

    def add(self, conversion: Conversion) -> None:
        """The unique (brand, order) index is the duplicate check; after DuplicateOrder
        the transaction is spoiled (PostgreSQL): the caller rolls it back."""
        try:
            super().add(conversion)
        except IntegrityError:
            raise DuplicateOrder(fields={"order_id": ["Already recorded."]}) from None
        self._add_refunds(conversion)

    def save(self, conversion: Conversion) -> None:
        super().save(conversion)
        self._add_refunds(conversion)

    def get_by_order(self, brand_id: str, order_id: str, *,
                     for_update: bool = False) -> Conversion | None:
        return self._one(_BY_ORDER, {"brand_id": brand_id, "order_id": order_id},
                         for_update=for_update)

    def customer_referral(self, brand_id: str, customer_id: str,
                          until: datetime) -> CustomerReferral | None:
        row = self.connection.execute(_FIRST_OF_CUSTOMER, {
            "brand_id": brand_id, "customer_id": customer_id, "until": until}).first()
        return CustomerReferral(enrollment_id=row.enrollment_id,
                                since=row.occurred_at) if row else None

    def _add_refunds(self, conversion: Conversion) -> None:
        """Refunds are append-only: insert those not stored yet."""
        rows = [{"conversion_id": conversion.id, "refund_id": r.refund_id,
                 "amount": r.amount.amount, "recorded_at": r.recorded_at}
                for r in conversion.refunds]
        if rows:
            self.connection.execute(
                upsert(self.connection, conversion_refunds).on_conflict_do_nothing(
                    index_elements=[conversion_refunds.c.conversion_id,
                                    conversion_refunds.c.refund_id]), rows)

    def _to_row(self, conversion: Conversion) -> dict:
        return {
            "id": conversion.id, "brand_id": conversion.brand_id,
            "order_id": conversion.order_id, "amount": conversion.amount.amount,
            "currency": conversion.amount.currency, "status": conversion.status,
            "reason": conversion.reason, "partner_id": conversion.partner_id,
            "campaign_id": conversion.campaign_id, "enrollment_id": conversion.enrollment_id,
            "referral_code": conversion.referral_code, "click_id": conversion.click_id,
            "terms_version": conversion.terms_version, "terms": conversion.terms,
            "customer_ip": conversion.customer_ip, "customer_id": conversion.customer_id,
            "attribution": conversion.attribution, "occurred_at": conversion.occurred_at,
            "recorded_at": conversion.recorded_at,
            "reversed_amount": conversion.total_reversed.amount,
            "updated_at": conversion.updated_at,
        }

    def _from_row(self, row) -> Conversion:
        return Conversion(
            id=row.id, brand_id=row.brand_id, order_id=row.order_id,
            amount=Money.of(row.amount, row.currency), status=row.status, reason=row.reason,
            occurred_at=row.occurred_at, recorded_at=row.recorded_at,
            partner_id=row.partner_id, campaign_id=row.campaign_id,
            enrollment_id=row.enrollment_id, referral_code=row.referral_code,
            click_id=row.click_id, terms_version=row.terms_version, terms=row.terms,
            customer_ip=row.customer_ip, customer_id=row.customer_id,
            attribution=row.attribution, refunds=self._refunds(row.id, row.currency),
            updated_at=row.updated_at)

    def _refunds(self, conversion_id: str, currency: str) -> list[Refund]:
        rows = self.connection.execute(
            select(conversion_refunds)
            .where(conversion_refunds.c.conversion_id == conversion_id)
            .order_by(conversion_refunds.c.recorded_at, conversion_refunds.c.refund_id))
        return [Refund(refund_id=r.refund_id, amount=Money.of(Decimal(r.amount), currency),
                       recorded_at=r.recorded_at) for r in rows]
