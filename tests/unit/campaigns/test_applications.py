"""A campaign that reviews its partners: applications, the brand's approval or refusal."""
from datetime import timedelta

import pytest

from common.seedwork.errors import Forbidden
from services.campaigns.domain import errors
from services.campaigns.domain.campaign import Admission
from services.campaigns.domain.enrollment import (
    CAMPAIGN_CLOSED_REASON,
    Enrollment,
    EnrollmentDeclined,
    EnrollmentRequested,
    EnrollmentStatus,
    EnrollmentWithdrawn,
    PartnerEnrolled,
)
from tests.unit.campaigns.builders import PARTNER_ID, campaign, facts, partner
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
    made = reviewed()
    application = apply(made)
    application.pull_events()
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        application.suspend_by_brand(made, LATER)
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


def test_the_brand_says_why_it_declines_and_a_second_refusal_changes_nothing():
    made = reviewed()
    application = apply(made)
    application.pull_events()
    application.decline(made, LATER, reason="  We only work with EU partners for now.  ")
    application.decline(made, LATER, reason="Another reason")  # decided already
    assert application.decline_reason == "We only work with EU partners for now."
    [declined] = application.pull_events()
    assert declined.reason == "We only work with EU partners for now."


def test_the_partner_withdraws_an_application_the_brand_has_not_decided():
    made = reviewed()
    application = apply(made)
    application.pull_events()
    application.withdraw(PARTNER_ID, made, LATER)
    application.withdraw(PARTNER_ID, made, LATER)  # idempotent
    assert application.status is EnrollmentStatus.WITHDRAWN
    [withdrawn] = application.pull_events()
    assert isinstance(withdrawn, EnrollmentWithdrawn)
    assert (withdrawn.campaign_name, withdrawn.enrollment.revision) == ("Winter sale", 2)
    with pytest.raises(errors.EnrollmentTransitionNotAllowed) as refused:
        application.approve(campaign=made, partner=partner(), now=LATER)
    assert "WITHDRAWN" in refused.value.message
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        application.decline(made, LATER)
    assert application.status is EnrollmentStatus.WITHDRAWN


def test_only_the_applicant_withdraws_and_only_before_the_decision():
    made = reviewed()
    application = apply(made)
    with pytest.raises(Forbidden) as other:
        application.withdraw("00000000-0000-4000-8000-000000000001", made, LATER)
    assert "acting_partner_id" in other.value.fields
    application.decline(made, LATER)
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        application.withdraw(PARTNER_ID, made, LATER)
    enrolled = apply(campaign())
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        enrolled.withdraw(PARTNER_ID, made, LATER)
    assert (application.status, enrolled.status) == (
        EnrollmentStatus.DECLINED, EnrollmentStatus.ACTIVE)


def test_a_withdrawn_application_is_made_again_by_the_same_rules():
    made = reviewed()
    application = apply(made)
    application.withdraw(PARTNER_ID, made, NOW)
    application.pull_events()
    with pytest.raises(errors.PartnerNotActive):
        application.join_again(campaign=made, partner=partner(status="SUSPENDED"), now=LATER)
    application.join_again(campaign=made, partner=partner(), now=LATER, note="Second try")
    assert (application.status, application.applied_at, application.application_note) == (
        EnrollmentStatus.PENDING, LATER, "Second try")
    [again] = application.pull_events()
    assert isinstance(again, EnrollmentRequested) and again.enrollment.revision == 3
    application.join_again(campaign=made, partner=partner(), now=LATER)  # pending: unchanged
    assert application.pull_events() == []


def test_applying_again_where_the_campaign_has_opened_enrolls_at_once():
    made = reviewed()
    application = apply(made)
    application.withdraw(PARTNER_ID, made, NOW)
    made.change_admission(Admission.OPEN, NOW)
    application.pull_events()
    application.join_again(campaign=made, partner=partner(), now=LATER, note="ignored")
    assert (application.status, application.enrolled_at, application.application_note) == (
        EnrollmentStatus.ACTIVE, LATER, None)
    [enrolled] = application.pull_events()
    assert isinstance(enrolled, PartnerEnrolled)


def test_a_closing_campaign_declines_only_what_still_waits_saying_so():
    made = reviewed()
    waiting, enrolled = apply(made), apply(campaign())
    made.end(LATER)
    for enrollment in (waiting, enrolled):
        enrollment.pull_events()
        enrollment.close_with(made, LATER)
    assert (waiting.status, waiting.decline_reason) == (
        EnrollmentStatus.DECLINED, CAMPAIGN_CLOSED_REASON)
    [declined] = waiting.pull_events()
    assert declined.reason == CAMPAIGN_CLOSED_REASON
    assert enrolled.status is EnrollmentStatus.ACTIVE and enrolled.pull_events() == []
