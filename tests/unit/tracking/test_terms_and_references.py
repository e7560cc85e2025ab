from datetime import timedelta

from services.tracking.domain import reasons
from services.tracking.domain.fraud import FraudRules
from services.tracking.domain.terms import TermsHistory
from tests.unit.tracking.builders import NOW, T0, campaign, target, terms

RULES = FraudRules()


def test_the_version_in_force_is_the_last_one_that_took_effect():
    v1, v2 = terms(1, effective_from=T0), terms(2, effective_from=T0 + timedelta(days=10))
    history = TermsHistory([v2, v1])
    assert history.in_force_at(T0 - timedelta(seconds=1)) is None
    assert history.in_force_at(T0) == v1
    assert history.in_force_at(T0 + timedelta(days=10) - timedelta(microseconds=1)) == v1
    assert history.in_force_at(T0 + timedelta(days=10)) == v2
    assert history.version(1) == v1 and history.version(3) is None


def test_window_covers_from_the_click_to_the_end_of_the_window_inclusive():
    window = terms(window_days=7)
    assert window.window_covers(NOW, NOW)
    assert window.window_covers(NOW, NOW + timedelta(days=7))
    assert not window.window_covers(NOW, NOW + timedelta(days=7, seconds=1))
    assert not window.window_covers(NOW, NOW - timedelta(seconds=1))


def test_a_campaign_is_live_when_active_and_within_its_dates():
    assert campaign().is_live_at(NOW)
    assert not campaign(status="PAUSED").is_live_at(NOW)
    assert not campaign(starts_at=NOW + timedelta(hours=1)).is_live_at(NOW)
    assert not campaign(ends_at=NOW).is_live_at(NOW)
    assert campaign(starts_at=NOW, ends_at=NOW + timedelta(days=1)).is_live_at(NOW)


def test_blocked_reasons_of_a_referral_target():
    assert target().blocked_reason(NOW, RULES) is None
    assert target(partner_status=None).blocked_reason(NOW, RULES) is None  # not heard of yet
    assert target(partner_status="SUSPENDED").blocked_reason(NOW, RULES) == \
        reasons.PARTNER_SUSPENDED
    assert target(enrollment_status="SUSPENDED").blocked_reason(NOW, RULES) == \
        reasons.ENROLLMENT_SUSPENDED
    assert target(campaign_ref=campaign(status="ENDED")).blocked_reason(NOW, RULES) == \
        reasons.CAMPAIGN_INACTIVE


def test_suspension_rule_can_be_switched_off():
    lenient = FraudRules(reject_suspended=False)
    assert target(partner_status="SUSPENDED").blocked_reason(NOW, lenient) is None
    assert target(enrollment_status="SUSPENDED").blocked_reason(NOW, lenient) is None


def test_the_partner_is_known_by_id_or_email_whatever_the_case():
    referral = target()
    partner_id = referral.enrollment.partner_id
    assert referral.is_partner(partner_id.upper())
    assert referral.is_partner(" ANA@partner.example ")
    assert not referral.is_partner("someone@else.example")
    assert not referral.is_partner(None)
