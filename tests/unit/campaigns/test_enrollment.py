import re
from datetime import timedelta

import pytest

from services.campaigns.domain import errors
from services.campaigns.domain.enrollment import (
    CODE_ALPHABET,
    Enrollment,
    EnrollmentStatus,
    PartnerEnrolled,
    new_referral_code,
    tracking_url,
)
from services.campaigns.domain.partner import Eligibility
from tests.unit.campaigns.builders import campaign, eligibility, facts, partner
from tests.unit.campaigns.fakes import BASE_URL, NOW


def enroll(made=None, who=None, code="abcdefgh23"):
    return Enrollment.enroll(campaign=made or campaign(), partner=who or partner(),
                             referral_code=code, public_base_url=BASE_URL, now=NOW)


def test_referral_codes_are_short_url_safe_and_random():
    codes = {new_referral_code() for _ in range(2000)}
    assert len(codes) == 2000
    pattern = re.compile(f"^[{CODE_ALPHABET}]{{10}}$")
    assert all(pattern.match(code) for code in codes)


def test_the_tracking_url_is_built_from_the_public_base_url():
    assert tracking_url("https://go.alpes.test/", "abc") == "https://go.alpes.test/r/abc"


def test_an_active_eligible_partner_enrolls_in_an_active_campaign():
    made = campaign(eligibility=eligibility(["influencer"], ["ES", "FR"]))
    enrollment = enroll(made)
    assert enrollment.status is EnrollmentStatus.ACTIVE
    assert enrollment.tracking_url == f"{BASE_URL}/r/abcdefgh23"
    [event] = enrollment.pull_events()
    assert isinstance(event, PartnerEnrolled)
    assert event.campaign.campaign_id == made.id and event.campaign.terms_history


@pytest.mark.parametrize("status", ["PENDING", "SUSPENDED"])
def test_a_partner_that_is_not_active_is_refused(status):
    with pytest.raises(errors.PartnerNotActive) as error:
        enroll(who=partner(status=status))
    assert error.value.code == "partner_not_active" and status in error.value.message


@pytest.mark.parametrize("rules, reason", [
    (eligibility(types=["media", "b2b"]), "type 'influencer'"),
    (eligibility(countries=["FR"]), "Country ES"),
])
def test_an_ineligible_partner_is_refused(rules: Eligibility, reason):
    with pytest.raises(errors.PartnerNotEligible) as error:
        enroll(campaign(eligibility=rules))
    assert error.value.code == "partner_not_eligible" and reason in error.value.message


def test_nobody_enrolls_in_a_campaign_that_is_not_active():
    with pytest.raises(errors.CampaignNotActive):
        enroll(campaign(active=False))


def test_the_enrollment_follows_its_partner():
    enrollment = enroll()
    enrollment.pull_events()
    who = partner()
    who.apply(facts(status="SUSPENDED", revision=4), NOW)
    enrollment.follow(who, NOW)
    enrollment.follow(who, NOW)
    assert (enrollment.status, enrollment.suspension_reason) == (EnrollmentStatus.SUSPENDED,
                                                                 "partner_suspended")
    who.apply(facts(status="ACTIVE", revision=5), NOW + timedelta(days=1))
    enrollment.follow(who, NOW)
    assert enrollment.status is EnrollmentStatus.ACTIVE
    suspended, reactivated = enrollment.pull_events()
    assert (suspended.reason, reactivated.reason) == ("partner_suspended", "partner_reactivated")
    assert [suspended.enrollment.revision, reactivated.enrollment.revision] == [2, 3]


def test_a_suspension_for_another_reason_is_not_lifted_by_the_partner():
    enrollment = enroll()
    enrollment.suspend("fraud_review", NOW)
    enrollment.follow(partner(), NOW)
    assert enrollment.status is EnrollmentStatus.SUSPENDED


def test_the_replica_ignores_snapshots_that_are_not_newer():
    who = partner(revision=5)
    assert not who.apply(facts(status="SUSPENDED", revision=5), NOW)
    assert not who.apply(facts(status="SUSPENDED", revision=4), NOW)
    assert who.is_active
    assert who.apply(facts(status="SUSPENDED", revision=6, country="FR"), NOW)
    assert (who.status, who.country, who.revision) == ("SUSPENDED", "FR", 6)
