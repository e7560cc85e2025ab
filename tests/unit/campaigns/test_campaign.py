from datetime import timedelta
from decimal import Decimal

import pytest

from common.seedwork.errors import Forbidden, ValidationError
from services.campaigns.domain import campaign as domain
from services.campaigns.domain import errors
from services.campaigns.domain.campaign import Campaign, CampaignStatus
from tests.unit.campaigns.builders import brand, campaign, cpa, cps, draft, usd
from tests.unit.campaigns.fakes import NOW

LATER = NOW + timedelta(hours=1)


def event_types(aggregate) -> list[str]:
    return [type(event).__name__ for event in aggregate.pull_events()]


# --- creation -----------------------------------------------------------------------------
def test_a_new_campaign_is_a_draft_with_terms_version_1():
    made = Campaign.create(brand(), draft(), NOW)
    assert made.status is CampaignStatus.DRAFT and made.revision == 1
    [terms] = made.terms_history
    assert (terms.version, terms.effective_from, terms.rate) == (1, NOW, Decimal("0.1"))
    [created] = made.pull_events()
    assert isinstance(created, domain.CampaignCreated) and created.campaign.revision == 1


def test_creation_names_every_bad_field_at_once():
    with pytest.raises(ValidationError) as error:
        Campaign.create(brand("USD"), draft(
            currency="EUR", budget=usd("100"), starts_at=LATER, ends_at=NOW,
            terms=cps(rate=Decimal("1.2"), attribution_window_days=0)), NOW)
    fields = error.value.fields
    assert set(fields) == {"currency", "budget", "ends_at", "terms"}
    assert "USD, the brand's currency" in fields["currency"][0]
    assert set(fields["terms"]) == {"rate", "attribution_window_days"}


@pytest.mark.parametrize("budget, message", [("0", "greater than 0"),
                                             ("-10", "greater than 0")])
def test_the_budget_must_be_positive(budget, message):
    with pytest.raises(ValidationError) as error:
        Campaign.create(brand(), draft(budget=usd(budget)), NOW)
    assert message in error.value.fields["budget"][0]


def test_an_end_date_in_the_past_is_refused():
    with pytest.raises(ValidationError) as error:
        Campaign.create(brand(), draft(ends_at=NOW - timedelta(days=1)), NOW)
    assert error.value.fields == {"ends_at": ["Must be in the future."]}


# --- lifecycle ----------------------------------------------------------------------------
def test_lifecycle_draft_active_paused_active_ended():
    made = campaign(active=False)
    made.activate(NOW)
    made.pause(NOW)
    made.activate(NOW)
    made.end(NOW)
    assert event_types(made) == ["CampaignActivated", "CampaignPaused", "CampaignActivated",
                                 "CampaignEnded"]
    assert (made.status, made.revision) == (CampaignStatus.ENDED, 5)


def test_repeating_a_transition_changes_nothing():
    made = campaign()
    made.activate(NOW)
    assert made.pending_events == () and made.revision == 2
    made.pause(NOW)
    made.pause(NOW)
    assert event_types(made) == ["CampaignPaused"]


@pytest.mark.parametrize("setup, action", [
    ([], "pause"), ([], "end"), (["activate"], "cancel"),
    (["activate", "end"], "activate"), (["activate", "end"], "cancel"),
    (["cancel"], "activate"), (["cancel"], "end"),
])
def test_refused_transitions(setup, action):
    made = campaign(active=False)
    for step in setup:
        getattr(made, step)(NOW)
    status = made.status
    with pytest.raises(errors.CampaignTransitionNotAllowed):
        getattr(made, action)(NOW)
    assert made.status is status


def test_cancel_from_draft_or_paused():
    draft_one = campaign(active=False)
    draft_one.cancel(NOW)
    paused = campaign()
    paused.pause(NOW)
    paused.cancel(NOW)
    assert draft_one.status is paused.status is CampaignStatus.CANCELLED


def test_an_expired_campaign_cannot_be_activated():
    made = campaign(active=False, ends_at=NOW + timedelta(days=1))
    with pytest.raises(errors.CampaignExpired):
        made.activate(NOW + timedelta(days=2))


def test_a_campaign_ends_by_itself_once_its_end_date_has_passed():
    ends = NOW + timedelta(days=1)
    active, paused, open_ended = campaign(ends_at=ends), campaign(ends_at=ends), campaign()
    paused.pause(NOW)
    assert not active.end_if_expired(ends - timedelta(seconds=1))
    assert active.end_if_expired(ends) and paused.end_if_expired(ends)
    assert active.status is paused.status is CampaignStatus.ENDED
    assert not active.end_if_expired(ends + timedelta(days=1))  # once
    assert not open_ended.end_if_expired(ends + timedelta(days=999))
    assert [type(e).__name__ for e in active.pull_events()][-1] == "CampaignEnded"
    draft_one = campaign(active=False, ends_at=ends)
    assert not draft_one.end_if_expired(ends) and draft_one.status is CampaignStatus.DRAFT


def test_only_the_owning_brand_may_change_it():
    made = campaign()
    made.ensure_owned_by(made.brand_id)
    with pytest.raises(Forbidden) as error:
        made.ensure_owned_by(brand().id)
    assert "acting_brand_id" in error.value.fields


# --- terms versions -------------------------------------------------------------------------
def test_editing_a_draft_replaces_version_1():
    made = campaign(active=False)
    made.change_terms(cpa("5.00"), None, LATER)
    [terms] = made.terms_history
    assert (terms.version, terms.model.value, terms.effective_from) == (1, "CPA", NOW)
    [event] = [e for e in made.pull_events() if isinstance(e, domain.CampaignTermsChanged)]
    assert (event.new_terms.version, event.previous_version) == (1, 1)


def test_editing_an_active_campaign_adds_a_version_from_the_given_moment():
    made = campaign()
    start = NOW + timedelta(days=3)
    made.change_terms(cps(rate=Decimal("0.2")), start, LATER)
    assert [t.version for t in made.terms_history] == [1, 2]
    assert made.terms_in_force(start - timedelta(seconds=1)).rate == Decimal("0.1")
    assert made.terms_in_force(start).rate == Decimal("0.2")
    [event] = made.pull_events()
    assert event.campaign.terms.version == 1  # the snapshot says what is in force now
    assert (event.new_terms.effective_from, event.previous_version) == (start, 1)


def test_a_new_version_defaults_to_now_and_never_starts_in_the_past():
    made = campaign()
    made.pause(NOW)
    assert made.change_terms(cpa("3.00"), None, LATER).effective_from == LATER
    with pytest.raises(ValidationError) as error:
        made.change_terms(cpa("4.00"), NOW, LATER + timedelta(minutes=1))
    assert error.value.fields == {"effective_from": ["Must not be in the past."]}
    assert len(made.terms_history) == 2


def test_bad_terms_and_a_bad_start_are_reported_together_and_change_nothing():
    made = campaign()
    with pytest.raises(ValidationError) as error:
        made.change_terms(cps(rate=Decimal("3")), NOW - timedelta(days=1), LATER)
    assert set(error.value.fields) == {"effective_from", "terms"}
    assert len(made.terms_history) == 1 and made.pending_events == ()


def test_closed_campaigns_keep_their_terms():
    made = campaign()
    made.end(NOW)
    with pytest.raises(errors.CampaignClosed):
        made.change_terms(cps(), None, LATER)


# --- budget -------------------------------------------------------------------------------
def test_when_commissions_report_the_budget_used_up_the_campaign_pauses_once():
    made = campaign(terms=cpa("10.00"), budget="25.00")
    made.budget_ran_out(reserved=usd(20), remaining=usd(5), now=NOW)
    made.budget_ran_out(reserved=usd(20), remaining=usd(5), now=NOW)  # redelivered news
    paused, exhausted = made.pull_events()
    assert isinstance(paused, domain.CampaignPaused) and paused.reason == "budget_exhausted"
    assert (exhausted.budget, exhausted.reserved, exhausted.remaining) == (
        usd(25), usd(20), usd(5))
    assert made.status is CampaignStatus.PAUSED and made.budget_exhausted
    with pytest.raises(errors.InsufficientBudget):
        made.activate(NOW)


def test_room_reported_again_lets_the_brand_reactivate():
    made = campaign(terms=cpa("10.00"), budget="20.00")
    made.budget_ran_out(reserved=usd(20), remaining=usd(0), now=NOW)
    made.budget_has_room(NOW)
    assert not made.budget_exhausted
    made.activate(NOW)
    assert made.status is CampaignStatus.ACTIVE


def test_a_top_up_after_exhaustion_lets_the_brand_reactivate():
    made = campaign(terms=cpa("10.00"), budget="20.00")
    made.budget_ran_out(reserved=usd(15), remaining=usd(5), now=NOW)
    made.pull_events()
    made.change_budget(usd("100.00"), NOW)
    [changed] = made.pull_events()
    assert isinstance(changed, domain.CampaignBudgetChanged)
    assert (changed.previous_budget, changed.campaign.budget) == (usd(20), usd(100))
    assert not made.budget_exhausted and made.status is CampaignStatus.PAUSED
    made.activate(NOW)
    assert made.status is CampaignStatus.ACTIVE


def test_a_lower_budget_is_the_brands_call_and_a_lower_one_keeps_exhaustion():
    made = campaign(terms=cpa("10.00"), budget="40.00")
    made.budget_ran_out(reserved=usd(40), remaining=usd(0), now=NOW)
    made.change_budget(usd("30.00"), NOW)  # below what is owed: stops new commissions only
    assert made.budget == usd(30) and made.budget_exhausted
    with pytest.raises(ValidationError):
        made.change_budget(usd("0"), NOW)


def test_a_budget_that_cannot_pay_one_commission_cannot_be_activated():
    made = campaign(terms=cpa("10.00"), budget="5.00", active=False)
    with pytest.raises(errors.InsufficientBudget):
        made.activate(NOW)
