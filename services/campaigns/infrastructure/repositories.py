"""Data mappers of the campaigns aggregates (SQLAlchemy Core)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from common.seedwork.domain.money import Money
from common.seedwork.errors import ConcurrencyConflict
from common.seedwork.infrastructure.repository import SqlAlchemyRepository
from services.campaigns.application import dto
from services.campaigns.application.ports import DuplicateEnrollment, ReferralCodeTaken
from services.campaigns.domain.brand import Brand
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.enrollment import Enrollment, EnrollmentStatus
from services.campaigns.domain.partner import Eligibility, PartnerReplica
from services.campaigns.domain.terms import Model, PartnerCommission, Terms
from services.campaigns.infrastructure.tables import (
    brands,
    campaign_terms,
    campaigns,
    enrollments,
    partner_replicas,
)


def _amount(money: Money | None):
    return money.amount if money is not None else None


def _money(amount, currency: str) -> Money | None:
    return Money(amount, currency) if amount is not None else None


def _commission(stored: dict | None) -> PartnerCommission | None:
    """The partner's figures as ``dto.commission`` stored them."""
    if stored is None:
        return None

    def money(field: str) -> Money | None:
        value = stored.get(field)
        return Money(value["amount"], value["currency"]) if value else None

    rate = stored.get("rate")
    return PartnerCommission(model=Model(stored["model"]),
                             rate=Decimal(rate) if rate is not None else None,
                             min=money("min"), max=money("max"), amount=money("amount"))


class SqlBrandRepository(SqlAlchemyRepository[Brand]):
    table = brands

    def _to_row(self, brand: Brand) -> dict:
        return {"id": brand.id, "name": brand.name, "currency": brand.currency,
                "registered_at": brand.registered_at}

    def _from_row(self, row) -> Brand:
        return Brand(id=row.id, name=row.name, currency=row.currency,
                     registered_at=row.registered_at)


class SqlCampaignRepository(SqlAlchemyRepository[Campaign]):
    """A campaign row plus its terms versions; the versions are rewritten only when they
    changed, so the budget's hot path (reserve, release) writes one row."""

    table = campaigns

    def __init__(self, connection):
        super().__init__(connection)
        self._stored_terms: dict[str, tuple[Terms, ...]] = {}

    def add(self, campaign: Campaign) -> None:
        super().add(campaign)
        self._write_terms(campaign)

    def save(self, campaign: Campaign) -> None:
        super().save(campaign)
        if self._stored_terms.get(campaign.id) != campaign.terms_history:
            self.connection.execute(
                delete(campaign_terms).where(campaign_terms.c.campaign_id == campaign.id))
            self._write_terms(campaign)

    def expired(self, now: datetime, limit: int) -> list[str]:
        c = campaigns.c
        return list(self.connection.execute(
            select(c.id).where(c.status.in_(("ACTIVE", "PAUSED")), c.ends_at <= now)
            .order_by(c.ends_at).limit(limit)).scalars())

    def _write_terms(self, campaign: Campaign) -> None:
        self.connection.execute(insert(campaign_terms), [
            {"campaign_id": campaign.id, "version": terms.version, "model": terms.model.value,
             "rate": terms.rate, "min_amount": _amount(terms.min),
             "max_amount": _amount(terms.max), "amount": _amount(terms.amount),
             "daily_click_cap": terms.daily_click_cap,
             "recurring_months": terms.recurring_months,
             "attribution_window_days": terms.attribution_window_days,
             "hold_days": terms.hold_days, "effective_from": terms.effective_from}
            for terms in campaign.terms_history])
        self._stored_terms[campaign.id] = campaign.terms_history

    def _load_terms(self, campaign_id: str, currency: str) -> tuple[Terms, ...]:
        rows = self.connection.execute(
            select(campaign_terms).where(campaign_terms.c.campaign_id == campaign_id)
            .order_by(campaign_terms.c.version)).all()
        history = tuple(Terms(
            version=row.version, model=Model(row.model), rate=row.rate,
            min=_money(row.min_amount, currency), max=_money(row.max_amount, currency),
            amount=_money(row.amount, currency), daily_click_cap=row.daily_click_cap,
            recurring_months=row.recurring_months,
            attribution_window_days=row.attribution_window_days, hold_days=row.hold_days,
            effective_from=row.effective_from) for row in rows)
        self._stored_terms[campaign_id] = history
        return history

    def _to_row(self, campaign: Campaign) -> dict:
        return {
            "id": campaign.id, "brand_id": campaign.brand_id, "name": campaign.name,
            "description": campaign.description, "currency": campaign.currency,
            "status": campaign.status.value, "pause_reason": campaign.pause_reason,
            "budget_amount": campaign.budget.amount,
            "budget_exhausted": campaign.budget_exhausted,
            "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
            "landing_url": campaign.landing_url,
            "eligible_partner_types": list(campaign.eligibility.partner_types),
            "eligible_countries": list(campaign.eligibility.countries),
            "admission": campaign.admission.value,
            "created_at": campaign.created_at, "updated_at": campaign.updated_at,
            "revision": campaign.revision,
        }

    def _from_row(self, row) -> Campaign:
        return Campaign(
            id=row.id, brand_id=row.brand_id, name=row.name, description=row.description,
            currency=row.currency, budget=Money(row.budget_amount, row.currency),
            starts_at=row.starts_at,
            ends_at=row.ends_at, landing_url=row.landing_url,
            eligibility=Eligibility.of(row.eligible_partner_types, row.eligible_countries),
            terms_history=self._load_terms(row.id, row.currency), status=row.status,
            pause_reason=row.pause_reason, budget_exhausted=bool(row.budget_exhausted),
            created_at=row.created_at, updated_at=row.updated_at, revision=row.revision,
            admission=row.admission)


class SqlEnrollmentRepository(SqlAlchemyRepository[Enrollment]):
    table = enrollments

    def add(self, enrollment: Enrollment) -> None:
        try:
            with self.connection.begin_nested():
                super().add(enrollment)
        except IntegrityError:
            if self.get_for(enrollment.campaign_id, enrollment.partner_id) is not None:
                raise DuplicateEnrollment(enrollment.campaign_id) from None
            raise ReferralCodeTaken(enrollment.referral_code) from None

    def save(self, enrollment: Enrollment) -> None:
        """A code another transaction gave to another link meanwhile fails the unique
        index: ``ReferralCodeTaken`` (the unit of work is rolled back)."""
        try:
            super().save(enrollment)
        except IntegrityError:
            raise ReferralCodeTaken(enrollment.referral_code) from None

    def holding_code(self, code: str) -> str | None:
        """The id of the enrollment whose code ``code`` is, if any."""
        return self.connection.execute(
            select(enrollments.c.id).where(enrollments.c.referral_code == code)).scalar()

    def get_for(self, campaign_id: str, partner_id: str) -> Enrollment | None:
        return self._one(select(enrollments).where(enrollments.c.campaign_id == campaign_id,
                                                   enrollments.c.partner_id == partner_id))

    def of_partner(self, partner_id: str) -> list[Enrollment]:
        return self._many(select(enrollments).where(enrollments.c.partner_id == partner_id)
                          .order_by(enrollments.c.enrolled_at))

    def waiting_in(self, campaign_id: str) -> list[Enrollment]:
        """The applications of a campaign still awaiting its brand (locked on PostgreSQL:
        a partner's withdrawal and the campaign's closing do not cross)."""
        query = (select(enrollments)
                 .where(enrollments.c.campaign_id == campaign_id,
                        enrollments.c.status == EnrollmentStatus.PENDING.value)
                 .order_by(enrollments.c.applied_at, enrollments.c.id))
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        return self._many(query)

    def _to_row(self, enrollment: Enrollment) -> dict:
        return {
            "id": enrollment.id, "campaign_id": enrollment.campaign_id,
            "brand_id": enrollment.brand_id, "partner_id": enrollment.partner_id,
            "referral_code": enrollment.referral_code, "tracking_url": enrollment.tracking_url,
            "status": enrollment.status.value, "suspension_reason": enrollment.suspension_reason,
            "enrolled_at": enrollment.enrolled_at, "updated_at": enrollment.updated_at,
            "revision": enrollment.revision, "applied_at": enrollment.applied_at,
            "application_note": enrollment.application_note,
            "decline_reason": enrollment.decline_reason,
            "suspension_note": enrollment.suspension_note,
            "commission": dto.commission(enrollment.commission),
            "commission_since": enrollment.commission_since,
        }

    def _from_row(self, row) -> Enrollment:
        return Enrollment(
            id=row.id, campaign_id=row.campaign_id, brand_id=row.brand_id,
            partner_id=row.partner_id, referral_code=row.referral_code,
            tracking_url=row.tracking_url, status=row.status,
            suspension_reason=row.suspension_reason, enrolled_at=row.enrolled_at,
            updated_at=row.updated_at, revision=row.revision, applied_at=row.applied_at,
            application_note=row.application_note, decline_reason=row.decline_reason,
            suspension_note=row.suspension_note, commission=_commission(row.commission),
            commission_since=row.commission_since)


class SqlPartnerReplicaRepository(SqlAlchemyRepository[PartnerReplica]):
    table = partner_replicas

    def add(self, partner: PartnerReplica) -> None:
        try:
            with self.connection.begin_nested():
                super().add(partner)
        except IntegrityError:  # a concurrent first event of the same partner: retry
            raise ConcurrencyConflict(f"Partner {partner.id} was added concurrently.") from None

    def _to_row(self, partner: PartnerReplica) -> dict:
        return {"id": partner.id, "type": partner.type, "country": partner.country,
                "status": partner.status, "revision": partner.revision,
                "updated_at": partner.updated_at}

    def _from_row(self, row) -> PartnerReplica:
        return PartnerReplica(id=row.id, type=row.type, country=row.country, status=row.status,
                              revision=row.revision, updated_at=row.updated_at)
