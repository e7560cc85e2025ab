"""A campaign that reviews its partners: applications, the brand's approval or refusal."""
from datetime import timedelta

import pytest

from services.campaigns.domain import errors
from services.campaigns.domain.campaign import Admission
from services.campaigns.domain.enrollment import (
    Enrollment,
    EnrollmentDeclined,
    EnrollmentRequested,
    EnrollmentStatus,
    PartnerEnrolled,
)
from tests.unit.campaigns.builders import campaign, facts, partner
from tests.unit.campaigns.fakes import BASE_URL, NOW

LATER = NOW + timedelta(days=2)


def reviewed(**overrides):
    return campaign(admission=Admission.REVIEW, **overrides)


def apply(made, who=None, note="  I review hiking gear for 40k readers.  "):
    application = Enrollment.enroll(campaign=made, partner=who or partner(),
                                    referral_code="abcdefgh23", public_base_url=BASE_URL,
                                    now=NOW, note=note)
    return application


def test_a_partner_applies_to_a_campaign_that_reviews_and_nobody_gets_a_link_yet():
    application = apply(reviewed())
    assert application.status is EnrollmentStatus.PENDING
    assert (application.applied_at, application.application_note) == (
        NOW, "I review hiking gear for 40k readers.")
    [event] = application.pull_events()
    assert isinstance(event, EnrollmentRequested)  # not partner_enrolled: no code works
    assert event.campaign_name == "Winter sale"
    assert event.note == "I review hiking gear for 40k readers."
    assert event.enrollment.status is EnrollmentStatus.PENDING


def test_an_open_campaign_enrolls_at_once_and_keeps_no_note():
    enrollment = apply(campaign())
    assert enrollment.status is EnrollmentStatus.ACTIVE
    assert (enrollment.applied_at, enrollment.application_note) == (None, None)
    [event] = enrollment.pull_events()
    assert isinstance(event, PartnerEnrolled)


def test_a_blank_note_is_no_note():
    assert apply(reviewed(), note="   ").application_note is None


def test_applying_checks_the_same_rules_as_enrolling():
    with pytest.raises(errors.PartnerNotActive):
        apply(reviewed(), who=partner(status="SUSPENDED"))
    with pytest.raises(errors.CampaignNotActive):
        apply(reviewed(active=False))


def test_the_brand_approves_and_the_partner_is_enrolled_from_then_on():
    made = reviewed()
    application = apply(made)
    application.pull_events()
    application.approve(campaign=made, partner=partner(), now=LATER)
    application.approve(campaign=made, partner=partner(), now=LATER)  # idempotent
    assert application.status is EnrollmentStatus.ACTIVE
    assert (application.enrolled_at, application.applied_at) == (LATER, NOW)
    [event] = application.pull_events()
    assert isinstance(event, PartnerEnrolled)
    assert event.enrollment.revision == 2 and event.enrollment.status is EnrollmentStatus.ACTIVE
    assert event.campaign.campaign_id == made.id and event.campaign.terms_history


def test_the_brand_declines_once_and_may_still_change_its_mind():
    made = reviewed()
    application = apply(made)
    application.pull_events()
    application.decline(made, LATER)
    application.decline(made, LATER)  # idempotent
    assert application.status is EnrollmentStatus.DECLINED
    [declined] = application.pull_events()
    assert isinstance(declined, EnrollmentDeclined) and declined.enrollment.revision == 2
    application.approve(campaign=made, partner=partner(), now=LATER)
    assert application.status is EnrollmentStatus.ACTIVE
    [enrolled] = application.pull_events()
    assert isinstance(enrolled, PartnerEnrolled) and enrolled.enrollment.revision == 3


def test_an_enrolled_partner_is_suspended_not_declined():
    made = campaign()
    enrollment = apply(made)
    with pytest.raises(errors.EnrollmentTransitionNotAllowed) as refused:
        enrollment.decline(made, LATER)
    assert "ACTIVE" in refused.value.message and "suspend" in refused.value.message
    assert enrollment.status is EnrollmentStatus.ACTIVE


def test_an_application_is_not_suspended_and_waits_out_its_partners_changes():
    application = apply(reviewed())
    application.pull_events()
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        application.suspend_by_brand(LATER)
    who = partner()
    who.apply(facts(status="SUSPENDED", revision=4), NOW)
    application.follow(who, LATER)
    assert application.status is EnrollmentStatus.PENDING
    assert application.pull_events() == []


def test_approval_needs_the_partner_still_active_and_the_campaign_active():
    made = reviewed()
    application = apply(made)
    suspended = partner()
    suspended.apply(facts(status="SUSPENDED", revision=4), NOW)
    with pytest.raises(errors.PartnerNotActive):
        application.approve(campaign=made, partner=suspended, now=LATER)
    made.pause(LATER)
    with pytest.raises(errors.CampaignNotActive):
        application.approve(campaign=made, partner=partner(), now=LATER)
    assert application.status is EnrollmentStatus.PENDING


def test_a_brand_switches_how_partners_join_until_the_campaign_is_over():
    made = campaign()
    made.change_admission(Admission.REVIEW, LATER)
    made.change_admission(Admission.REVIEW, LATER)  # the same again: nothing recorded
    [event] = made.pull_events()
    assert (event.admission, made.admission, made.revision) == (
        Admission.REVIEW, Admission.REVIEW, 2)  # no published change: no new revision
    assert apply(made).status is EnrollmentStatus.PENDING
    made.end(LATER)
    with pytest.raises(errors.CampaignClosed):
        made.change_admission(Admission.OPEN, LATER)
