from datetime import UTC, datetime

import pytest

from common.seedwork.errors import BusinessRuleViolation, ValidationError
from services.partners.domain.partner import (
    KycStatus,
    Partner,
    PartnerActivated,
    PartnerRegistered,
    PartnerStatus,
    PartnerSuspended,
    PartnerType,
)
from services.partners.domain.payout_method import PayoutMethod, iban_is_valid

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def new_partner(**overrides):
    fields = dict(name=" Ana ", email="ana@example.com", type=PartnerType.INFLUENCER,
                  country="ES", payout_method=None, now=NOW)
    fields.update(overrides)
    return Partner.register(**fields)


def test_registration_starts_pending_and_unverified():
    partner = new_partner()
    assert partner.status is PartnerStatus.PENDING
    assert partner.kyc_status is KycStatus.NOT_VERIFIED
    assert partner.name == "Ana" and partner.revision == 1
    [event] = partner.pull_events()
    assert isinstance(event, PartnerRegistered) and event.partner.revision == 1


def test_activation_requires_kyc_first():
    partner = new_partner()
    with pytest.raises(BusinessRuleViolation) as error:
        partner.activate(NOW)
    assert error.value.fields == {"rule": ["KycMustBeVerified"]}
    assert partner.status is PartnerStatus.PENDING


def test_full_lifecycle_bumps_revision_and_records_each_change():
    partner = new_partner()
    partner.verify_kyc(NOW)
    partner.activate(NOW)
    partner.suspend("chargebacks", NOW)
    partner.reactivate(NOW)
    names = [type(e).__name__ for e in partner.pull_events()]
    assert names == ["PartnerRegistered", "PartnerVerified", "PartnerActivated",
                     "PartnerSuspended", "PartnerReactivated"]
    assert partner.revision == 5 and partner.status is PartnerStatus.ACTIVE
    assert partner.suspension_reason is None


def test_repeating_a_transition_is_idempotent_and_silent():
    partner = new_partner()
    partner.verify_kyc(NOW)
    partner.activate(NOW)
    partner.pull_events()
    partner.verify_kyc(NOW)
    partner.activate(NOW)
    partner.reactivate(NOW)
    assert partner.pull_events() == []


@pytest.mark.parametrize("action", ["suspend", "reactivate"])
def test_a_pending_partner_cannot_be_suspended_or_reactivated(action):
    partner = new_partner()
    with pytest.raises(BusinessRuleViolation):
        getattr(partner, action)(*(("reason",) if action == "suspend" else ()), NOW)


def test_a_suspended_partner_is_reactivated_not_activated():
    partner = new_partner()
    partner.verify_kyc(NOW)
    partner.activate(NOW)
    partner.suspend("fraud", NOW)
    with pytest.raises(BusinessRuleViolation):
        partner.activate(NOW)


def test_suspension_needs_a_reason_and_carries_it():
    partner = new_partner()
    partner.verify_kyc(NOW)
    partner.activate(NOW)
    with pytest.raises(BusinessRuleViolation):
        partner.suspend("  ", NOW)
    partner.suspend(" fraud ", NOW)
    event = partner.pull_events()[-1]
    assert isinstance(event, PartnerSuspended) and event.reason == "fraud"
    assert event.partner.status is PartnerStatus.SUSPENDED


def test_events_carry_the_state_at_their_revision():
    partner = new_partner()
    partner.verify_kyc(NOW)
    partner.activate(NOW)
    activated = [e for e in partner.pull_events() if isinstance(e, PartnerActivated)][0]
    assert activated.partner.revision == 3 and activated.partner.kyc_status is KycStatus.VERIFIED


def test_payout_methods():
    bank = PayoutMethod.from_dict({"type": "bank_transfer", "account_holder": "Ana",
                                   "iban": "es91 2100 0418 4502 0005 1332", "bic": "caixesbbxxx"})
    assert bank.to_dict() == {"type": "bank_transfer", "account_holder": "Ana",
                              "iban": "ES9121000418450200051332", "bic": "CAIXESBBXXX"}
    assert PayoutMethod.from_dict({"type": "paypal", "email": "a@b.co"}).kind == "paypal"
    assert PayoutMethod.from_dict(None) is None
    with pytest.raises(ValidationError) as error:
        PayoutMethod.from_dict({"type": "bank_transfer", "account_holder": "",
                                "iban": "ES0021000418450200051332", "bic": "nope"})
    assert set(error.value.fields["payout_method"]) == {"account_holder", "iban", "bic"}
    with pytest.raises(ValidationError):
        PayoutMethod.from_dict({"type": "cash"})


@pytest.mark.parametrize("iban, valid", [
    ("GB82 WEST 1234 5698 7654 32", True),
    ("DE89370400440532013000", True),
    ("DE89370400440532013001", False),
    ("XX", False),
])
def test_iban_checksum(iban, valid):
    assert iban_is_valid(iban) is valid
