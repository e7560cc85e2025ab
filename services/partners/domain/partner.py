"""The Partner aggregate: someone a brand pays for results.

Lifecycle: PENDING -> ACTIVE <-> SUSPENDED. Activation needs KYC verification first.
Every recorded change bumps ``revision`` and the event carries the partner's state at
that revision, so consumers can keep an exact replica.
"""
from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.rules import BusinessRule, StatusMustBe, check_rule
from services.partners.domain.payout_method import PayoutMethod


class PartnerType(str, enum.Enum):
    AFFILIATE = "affiliate"
    INFLUENCER = "influencer"
    AMBASSADOR = "ambassador"
    MEDIA = "media"
    B2B = "b2b"


class PartnerStatus(str, enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class KycStatus(str, enum.Enum):
    NOT_VERIFIED = "NOT_VERIFIED"
    VERIFIED = "VERIFIED"


@dataclasses.dataclass(frozen=True)
class PartnerState(ValueObject):
    """The partner as a fact at one revision (what every partner event carries)."""

    partner_id: str
    name: str
    email: str
    type: PartnerType
    country: str
    status: PartnerStatus
    kyc_status: KycStatus
    payout_method: PayoutMethod | None
    registered_at: datetime
    revision: int


# --- events -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerEvent(DomainEvent):
    partner: PartnerState


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerRegistered(PartnerEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerVerified(PartnerEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerActivated(PartnerEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerSuspended(PartnerEvent):
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerReactivated(PartnerEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutMethodChanged(PartnerEvent):
    pass


# --- rules --------------------------------------------------------------------------------
@dataclasses.dataclass
class KycMustBeVerified(BusinessRule):
    partner: "Partner"
    message = "A partner must pass KYC verification before it can be activated."

    def is_broken(self) -> bool:
        return self.partner.kyc_status is not KycStatus.VERIFIED


@dataclasses.dataclass
class ReasonRequired(BusinessRule):
    reason: str
    message = "A suspension needs a reason."

    def is_broken(self) -> bool:
        return not (self.reason or "").strip()


# --- aggregate ----------------------------------------------------------------------------
class Partner(AggregateRoot):
    def __init__(self, *, id: str, name: str, email: str, type: PartnerType, country: str,
                 status: PartnerStatus, kyc_status: KycStatus,
                 payout_method: PayoutMethod | None, registered_at: datetime,
                 updated_at: datetime, revision: int = 0,
                 suspension_reason: str | None = None):
        self.id = id
        self.name = name
        self.email = email
        self.type = PartnerType(type)
        self.country = country
        self.status = PartnerStatus(status)
        self.kyc_status = KycStatus(kyc_status)
        self.payout_method = payout_method
        self.registered_at = registered_at
        self.updated_at = updated_at
        self.revision = revision
        self.suspension_reason = suspension_reason

    @classmethod
    def register(cls, *, name: str, email: str, type: PartnerType, country: str,
                 payout_method: PayoutMethod | None, now: datetime,
                 id: str | None = None) -> "Partner":
        """A new PENDING partner; ``id`` when the caller chose it (a sign-up whose account
        is already bound to it), else a new one."""
        partner = cls(
            id=id or new_id(), name=name.strip(), email=email.strip(), type=type, country=country,
            status=PartnerStatus.PENDING, kyc_status=KycStatus.NOT_VERIFIED,
            payout_method=payout_method, registered_at=now, updated_at=now,
        )
        partner._changed(now, PartnerRegistered)
        return partner

    def verify_kyc(self, now: datetime) -> None:
        if self.kyc_status is KycStatus.VERIFIED:
            return  # idempotent
        self.kyc_status = KycStatus.VERIFIED
        self._changed(now, PartnerVerified)

    def activate(self, now: datetime) -> None:
        if self.status is PartnerStatus.ACTIVE:
            return  # idempotent
        check_rule(StatusMustBe("partner", self.status, (PartnerStatus.PENDING,), "activate"))
        check_rule(KycMustBeVerified(self))
        self.status = PartnerStatus.ACTIVE
        self._changed(now, PartnerActivated)

    def suspend(self, reason: str, now: datetime) -> None:
        if self.status is PartnerStatus.SUSPENDED:
            return  # idempotent
        check_rule(ReasonRequired(reason))
        check_rule(StatusMustBe("partner", self.status, (PartnerStatus.ACTIVE,), "suspend"))
        self.status = PartnerStatus.SUSPENDED
        self.suspension_reason = reason.strip()
        self._changed(now, PartnerSuspended, reason=self.suspension_reason)

    def reactivate(self, now: datetime) -> None:
        if self.status is PartnerStatus.ACTIVE:
            return  # idempotent
        check_rule(StatusMustBe("partner", self.status, (PartnerStatus.SUSPENDED,), "reactivate"))
        self.status = PartnerStatus.ACTIVE
        self.suspension_reason = None
        self._changed(now, PartnerReactivated)

    def change_payout_method(self, method: PayoutMethod, now: datetime) -> None:
        if method == self.payout_method:
            return
        self.payout_method = method
        self._changed(now, PayoutMethodChanged)

    @property
    def state(self) -> PartnerState:
        return PartnerState(
            partner_id=self.id, name=self.name, email=self.email, type=self.type,
            country=self.country, status=self.status, kyc_status=self.kyc_status,
            payout_method=self.payout_method, registered_at=self.registered_at,
            revision=self.revision,
        )

    def _changed(self, now: datetime, event_type: type[PartnerEvent], **extra) -> None:
        self.revision += 1
        self.updated_at = now
        self.record(event_type(partner=self.state, occurred_at=now, **extra))
