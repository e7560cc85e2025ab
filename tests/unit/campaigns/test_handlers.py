"""The campaigns use cases on in-memory fakes: what is stored and what is published."""
from datetime import timedelta
from decimal import Decimal

import pytest

from common.contracts import campaigns as contracts
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, Forbidden, NotFound, ValidationError
from services.campaigns.application import commands
from services.campaigns.domain import errors
from tests.clock import Clock
from tests.unit.campaigns.builders import PARTNER_ID, usd
from tests.unit.campaigns.fakes import BASE_URL, NOW, fake_bus, fake_uow

UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"  # nothing has this id
CPS_TERMS = {"model": "CPS", "rate": Decimal("0.10"), "attribution_window_days": 30,
             "hold_days": 14}
CPA_TERMS = {"model": "CPA", "amount": usd("10.00"), "attribution_window_days": 30,
             "hold_days": 0}


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def bus(uow, clock):
    return fake_bus(uow, clock)


def brand(bus, currency="USD") -> str:
    return bus.handle(commands.RegisterBrand(name="Acme", currency=currency))


def campaign(bus, brand_id, terms=CPS_TERMS, budget="1000.00", activate=True, **extra) -> str:
    campaign_id = bus.handle(commands.CreateCampaign(
        brand_id=brand_id, name="Winter sale", currency="USD", budget=usd(budget),
        landing_url="https://acme.example/winter", terms=terms, **extra))
    if activate:
        bus.handle(commands.ActivateCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    return campaign_id


def partner_event(bus, status="ACTIVE", revision=3, partner_id=PARTNER_ID, **extra):
    bus.handle(commands.ApplyPartnerSnapshot(**{
        "partner_id": partner_id, "type": "influencer", "country": "ES", "status": status,
        "revision": revision, **extra}))


def published(uow, event_type):
    return [message.payload for message in uow.published(event_type)]


def test_brand_campaign_activation_publish_their_contracts(bus, uow):
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id)
    [registered] = published(uow, "brand_registered")
    assert registered == {"brand_id": brand_id, "name": "Acme", "currency": "USD",
                          "registered_at": "2026-11-29T12:00:00Z"}
    [created] = published(uow, "campaign_created")
    [activated] = published(uow, "campaign_activated")
    assert created["campaign"]["campaign_id"] == campaign_id
    assert (created["campaign"]["status"], created["campaign"]["revision"]) == ("DRAFT", 1)
    assert (activated["campaign"]["status"], activated["campaign"]["revision"]) == ("ACTIVE", 2)
    assert activated["campaign"]["terms"] == {
        "version": 1, "model": "CPS", "rate": "0.1", "min": None, "max": None, "amount": None,
        "daily_click_cap": None, "recurring_months": None, "attribution_window_days": 30,
        "hold_days": 14,
        "effective_from": "2026-11-29T12:00:00Z"}
    assert activated["campaign"]["budget"] == {"amount": "1000.00", "currency": "USD"}


def test_invalid_campaign_changes_nothing(bus, uow):
    brand_id = brand(bus)
    with pytest.raises(ValidationError) as error:
        bus.handle(commands.CreateCampaign(
            brand_id=brand_id, name="Bad", currency="EUR", budget=Money.of("10", "EUR"),
            landing_url="https://acme.example", terms={**CPS_TERMS, "rate": Decimal("1.5")}))
    assert set(error.value.fields) == {"currency", "terms"}
    assert uow.campaigns.items == {} and published(uow, "campaign_created") == []


def test_unknown_brand(bus):
    with pytest.raises(NotFound):
        campaign(bus, PARTNER_ID)


def test_another_brand_changes_nothing(bus, uow):
    owner, other = brand(bus), brand(bus)
    campaign_id = campaign(bus, owner, activate=False)
    for command in (commands.ActivateCampaign, commands.PauseCampaign,
                    commands.CancelCampaign, commands.EndCampaign):
        with pytest.raises(Forbidden):
            bus.handle(command(campaign_id=campaign_id, acting_brand_id=other))
    with pytest.raises(Forbidden):
        bus.handle(commands.ChangeTerms(campaign_id=campaign_id, acting_brand_id=other,
                                        terms=CPA_TERMS))
    assert uow.campaigns.get(campaign_id).status.value == "DRAFT"
    assert [m.type for m in uow.outbox][-1] == "campaign_created"


def test_changing_terms_of_an_active_campaign_publishes_the_new_version(bus, uow, clock):
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id)
    start = NOW + timedelta(days=1)
    bus.handle(commands.ChangeTerms(campaign_id=campaign_id, acting_brand_id=brand_id,
                                    terms=CPA_TERMS, effective_from=start))
    [changed] = published(uow, "campaign_terms_changed")
    assert changed["new_terms"]["version"] == 2 and changed["previous_version"] == 1
    assert changed["new_terms"]["effective_from"] == "2026-11-30T12:00:00Z"
    assert changed["campaign"]["terms"]["version"] == 1 and changed["campaign"]["revision"] == 3


def test_repeated_transition_publishes_nothing(bus, uow):
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id)
    outbox = len(uow.outbox)
    bus.handle(commands.ActivateCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    assert len(uow.outbox) == outbox


def test_the_expiry_timer_ends_campaigns_past_their_end_date_once(bus, uow, clock):
    brand_id = brand(bus)
    ends = NOW + timedelta(days=2)
    soon = campaign(bus, brand_id, ends_at=ends)
    paused = campaign(bus, brand_id, ends_at=ends + timedelta(hours=1))
    bus.handle(commands.PauseCampaign(campaign_id=paused, acting_brand_id=brand_id))
    later = campaign(bus, brand_id, ends_at=ends + timedelta(days=30))
    never = campaign(bus, brand_id)
    assert bus.handle(commands.EndExpiredCampaigns()) == 0
    clock.now = ends + timedelta(hours=2)
    assert bus.handle(commands.EndExpiredCampaigns(limit=1)) == 1  # the oldest first
    assert bus.handle(commands.EndExpiredCampaigns()) == 1
    assert bus.handle(commands.EndExpiredCampaigns()) == 0
    assert {c: uow.campaigns.get(c).status.value for c in (soon, paused, later, never)} == {
        soon: "ENDED", paused: "ENDED", later: "ACTIVE", never: "ACTIVE"}
    ended = published(uow, "campaign_ended")
    assert [(e["campaign"]["campaign_id"], e["campaign"]["status"]) for e in ended] == [
        (soon, "ENDED"), (paused, "ENDED")]


# --- enrollment ---------------------------------------------------------------------------
def test_an_active_partner_enrolls_once_with_a_code_and_a_link(uow):
    bus = fake_bus(uow, codes=iter(["abcdefgh23", "zzzzzzzz99"]))
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id)
    partner_event(bus)
    enrollment_id = bus.handle(commands.EnrollPartner(campaign_id=campaign_id,
                                                      partner_id=PARTNER_ID))
    again = bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID))
    assert again == enrollment_id
    [enrolled] = published(uow, "partner_enrolled")
    assert (enrolled["referral_code"], enrolled["tracking_url"]) == (
        "abcdefgh23", f"{BASE_URL}/r/abcdefgh23")
    assert enrolled["campaign"]["campaign_id"] == campaign_id
    assert [t["version"] for t in enrolled["terms_history"]] == [1]
    assert (enrolled["brand_id"], enrolled["status"], enrolled["revision"]) == (
        brand_id, "ACTIVE", 1)


def test_a_referral_code_collision_draws_another_code(uow):
    bus = fake_bus(uow, codes=iter(["samecode22", "samecode22", "othercode3"]))
    brand_id = brand(bus)
    first, second = campaign(bus, brand_id), campaign(bus, brand_id)
    partner_event(bus)
    bus.handle(commands.EnrollPartner(campaign_id=first, partner_id=PARTNER_ID))
    bus.handle(commands.EnrollPartner(campaign_id=second, partner_id=PARTNER_ID))
    codes = sorted(e.referral_code for e in uow.enrollments.items.values())
    assert codes == ["othercode3", "samecode22"]
    assert len(published(uow, "partner_enrolled")) == 2


@pytest.mark.parametrize("status, error", [("PENDING", errors.PartnerNotActive),
                                           ("SUSPENDED", errors.PartnerNotActive)])
def test_a_partner_that_is_not_active_is_refused(bus, uow, status, error):
    campaign_id = campaign(bus, brand(bus))
    partner_event(bus, status=status)
    with pytest.raises(error):
        bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID))
    assert uow.enrollments.items == {}


def test_an_unknown_partner_or_campaign_is_not_found(bus):
    campaign_id = campaign(bus, brand(bus))
    with pytest.raises(NotFound) as error:
        bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID))
    assert "partner_id" in error.value.fields
    with pytest.raises(NotFound):
        bus.handle(commands.EnrollPartner(campaign_id=PARTNER_ID, partner_id=PARTNER_ID))


def test_partner_events_suspend_and_restore_its_enrollments(bus, uow):
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id)
    partner_event(bus, revision=3)
    bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID))
    partner_event(bus, status="SUSPENDED", revision=4)
    partner_event(bus, status="SUSPENDED", revision=4)   # redelivered
    partner_event(bus, status="ACTIVE", revision=2)      # stale
    [enrollment] = uow.enrollments.items.values()
    assert enrollment.status.value == "SUSPENDED"
    partner_event(bus, status="ACTIVE", revision=5)
    [enrollment] = uow.enrollments.items.values()
    assert enrollment.status.value == "ACTIVE"
    [suspended] = published(uow, "enrollment_suspended")
    [reactivated] = published(uow, "enrollment_reactivated")
    assert suspended["reason"] == "partner_suspended" and suspended["status"] == "SUSPENDED"
    assert reactivated["status"] == "ACTIVE" and reactivated["revision"] == 3


# --- budget (as commissions report it) ----------------------------------------------------
def test_commissions_reporting_the_budget_used_up_pauses_the_campaign_and_says_so_once(bus, uow):
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id, terms=CPA_TERMS, budget="25.00")
    report = commands.NoteBudgetExhausted(campaign_id=campaign_id, reserved=usd("20.00"),
                                          remaining=usd("5.00"))
    bus.handle(report)
    bus.handle(report)
    [exhausted] = published(uow, "budget_exhausted")
    assert exhausted["remaining"] == {"amount": "5.00", "currency": "USD"}
    [paused] = published(uow, "campaign_paused")
    assert paused["reason"] == "budget_exhausted" and paused["campaign"]["status"] == "PAUSED"
    contracts.BUDGET_EXHAUSTED.parse(exhausted)
    with pytest.raises(errors.InsufficientBudget):
        bus.handle(commands.ActivateCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    bus.handle(commands.NoteBudgetAvailable(campaign_id=campaign_id))
    bus.handle(commands.ActivateCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    assert uow.campaigns.get(campaign_id).status.value == "ACTIVE"


def test_a_report_about_an_unknown_campaign_changes_nothing(bus, uow):
    bus.handle(commands.NoteBudgetAvailable(campaign_id=PARTNER_ID))  # no such campaign
    assert uow.campaigns.items == {} and uow.outbox == []


def enrolled(bus, uow) -> tuple[str, str]:
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id)
    partner_event(bus, revision=3)
    bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID))
    [enrollment] = uow.enrollments.items.values()
    return brand_id, enrollment.id


def by_brand(bus, command, enrollment_id, brand_id):
    bus.handle(command(enrollment_id=enrollment_id, acting_brand_id=brand_id))


def test_the_brand_s_note_and_the_campaign_travel_with_its_suspension(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    bus.handle(commands.SuspendEnrollment(enrollment_id=enrollment_id, acting_brand_id=brand_id,
                                          note="  Coupon sites are not allowed.  "))
    assert uow.enrollments.items[enrollment_id].suspension_note == "Coupon sites are not allowed."
    by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)
    assert uow.enrollments.items[enrollment_id].suspension_note is None
    [suspended] = published(uow, "enrollment_suspended")
    [reactivated] = published(uow, "enrollment_reactivated")
    assert (suspended["campaign_name"], suspended["note"]) == (
        "Winter sale", "Coupon sites are not allowed.")
    assert (reactivated["campaign_name"], reactivated["note"]) == ("Winter sale", None)
    partner_event(bus, status="SUSPENDED", revision=4)  # the platform's: no campaign at hand
    [_, platforms] = published(uow, "enrollment_suspended")
    assert (platforms["reason"], platforms["campaign_name"]) == ("partner_suspended", None)


def test_a_brand_suspends_and_reactivates_a_partners_link_once_each(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    for _ in range(2):  # idempotent: the second of each changes nothing
        by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)
    assert uow.enrollments.items[enrollment_id].suspension_reason == "brand_suspended"
    for _ in range(2):
        by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)
    assert uow.enrollments.items[enrollment_id].status.value == "ACTIVE"
    [suspended] = published(uow, "enrollment_suspended")
    [reactivated] = published(uow, "enrollment_reactivated")
    assert (suspended["reason"], suspended["status"]) == ("brand_suspended", "SUSPENDED")
    assert (reactivated["reason"], reactivated["revision"]) == ("brand_reactivated", 3)


def test_the_brands_suspension_outlasts_the_partners_reactivation(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    partner_event(bus, status="SUSPENDED", revision=4)
    by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)  # already suspended
    partner_event(bus, status="ACTIVE", revision=5)
    assert uow.enrollments.items[enrollment_id].status.value == "SUSPENDED"
    by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)
    assert uow.enrollments.items[enrollment_id].status.value == "ACTIVE"
    assert [e["reason"] for e in published(uow, "enrollment_reactivated")] == [
        "brand_reactivated"]


def test_a_brand_cannot_lift_the_partners_own_suspension(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)
    partner_event(bus, status="SUSPENDED", revision=4)
    by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)
    stored = uow.enrollments.items[enrollment_id]
    assert (stored.status.value, stored.suspension_reason) == ("SUSPENDED", "partner_suspended")
    partner_event(bus, status="ACTIVE", revision=5)  # the partner's reactivation restores it
    assert uow.enrollments.items[enrollment_id].status.value == "ACTIVE"
    by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)  # nothing to lift
    assert published(uow, "enrollment_reactivated")[-1]["reason"] == "partner_reactivated"


def test_only_the_campaigns_brand_touches_its_links(bus, uow):
    _, enrollment_id = enrolled(bus, uow)
    with pytest.raises(Forbidden) as error:
        by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand(bus))
    assert "acting_brand_id" in error.value.fields
    with pytest.raises(NotFound):
        by_brand(bus, commands.SuspendEnrollment, "6f9619ff-8b86-d011-b42d-00c04fc964ff",
                 brand(bus))
    assert uow.enrollments.items[enrollment_id].status.value == "ACTIVE"
    assert published(uow, "enrollment_suspended") == []


def applied(bus, uow, note="Hello"):
    """A partner's PENDING application to a campaign that reviews its partners."""
    brand_id = brand(bus)
    campaign_id = campaign(bus, brand_id, admission="review")
    partner_event(bus)
    enrollment_id = bus.handle(commands.EnrollPartner(campaign_id=campaign_id,
                                                      partner_id=PARTNER_ID, note=note))
    return brand_id, campaign_id, enrollment_id


def test_the_partner_withdraws_then_applies_again_with_a_new_note(bus, uow):
    _, campaign_id, enrollment_id = applied(bus, uow)
    bus.handle(commands.WithdrawApplication(enrollment_id=enrollment_id,
                                            acting_partner_id=PARTNER_ID))
    [withdrawn] = published(uow, "enrollment_withdrawn")
    assert (withdrawn["status"], withdrawn["revision"], withdrawn["campaign_name"]) == (
        "WITHDRAWN", 2, "Winter sale")
    again = bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID,
                                              note="Now with numbers"))
    assert again == enrollment_id  # the same enrollment, reopened
    first, second = published(uow, "enrollment_requested")
    assert (second["note"], second["revision"], second["status"]) == (
        "Now with numbers", 3, "PENDING")


def test_another_partner_cannot_withdraw_an_application(bus, uow):
    _, _, enrollment_id = applied(bus, uow)
    with pytest.raises(Forbidden):
        bus.handle(commands.WithdrawApplication(
            enrollment_id=enrollment_id, acting_partner_id="00000000-0000-4000-8000-00000000000a"))
    with pytest.raises(NotFound):
        bus.handle(commands.WithdrawApplication(enrollment_id=UNKNOWN_ID,
                                                acting_partner_id=PARTNER_ID))
    assert uow.enrollments.items[enrollment_id].status.value == "PENDING"
    assert published(uow, "enrollment_withdrawn") == []


def test_the_brand_declines_with_a_reason_the_event_carries(bus, uow):
    brand_id, _, enrollment_id = applied(bus, uow)
    bus.handle(commands.DeclineEnrollment(enrollment_id=enrollment_id, acting_brand_id=brand_id,
                                          reason="Your audience is outside our markets."))
    [declined] = published(uow, "enrollment_declined")
    assert declined["reason"] == "Your audience is outside our markets."
    assert uow.enrollments.items[enrollment_id].decline_reason == declined["reason"]


@pytest.mark.parametrize("close", ["end", "cancel", "expire"])
def test_a_campaign_that_closes_declines_the_applications_still_waiting(bus, uow, clock,
                                                                       close):
    brand_id, campaign_id, waiting = applied(bus, uow)
    action = {"campaign_id": campaign_id, "acting_brand_id": brand_id}
    if close == "end":
        bus.handle(commands.EndCampaign(**action))
    elif close == "cancel":
        bus.handle(commands.PauseCampaign(**action))
        bus.handle(commands.CancelCampaign(**action))
    else:
        uow.campaigns.items[campaign_id].ends_at = NOW + timedelta(days=1)
        clock.advance(days=2)
        assert bus.handle(commands.EndExpiredCampaigns(limit=10)) == 1
    [declined] = published(uow, "enrollment_declined")
    assert (declined["enrollment_id"], declined["reason"]) == (
        waiting, "The campaign closed before your application was reviewed.")
    assert bus.handle(commands.EndExpiredCampaigns(limit=10)) == 0  # closed: once only
    assert len(published(uow, "enrollment_declined")) == 1


def test_a_partner_leaves_a_campaign_and_joins_it_again(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    campaign_id = uow.enrollments.items[enrollment_id].campaign_id
    for _ in range(2):  # idempotent
        bus.handle(commands.LeaveCampaign(enrollment_id=enrollment_id,
                                          acting_partner_id=PARTNER_ID))
    [left] = published(uow, "enrollment_suspended")
    assert (left["status"], left["reason"]) == ("SUSPENDED", "partner_left")
    # neither the brand nor the platform brings it back; the partner does, by joining
    by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)
    by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)
    partner_event(bus, status="SUSPENDED", revision=4)
    partner_event(bus, status="ACTIVE", revision=5)
    stored = uow.enrollments.items[enrollment_id]
    assert (stored.status.value, stored.suspension_reason) == ("SUSPENDED", "partner_left")
    assert bus.handle(commands.EnrollPartner(campaign_id=campaign_id,
                                             partner_id=PARTNER_ID)) == enrollment_id
    [back] = published(uow, "enrollment_reactivated")
    assert (back["status"], back["reason"]) == ("ACTIVE", "partner_rejoined")
    assert len(published(uow, "enrollment_suspended")) == 1


def test_only_its_partner_leaves_and_only_an_active_link(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    with pytest.raises(Forbidden) as other:
        bus.handle(commands.LeaveCampaign(enrollment_id=enrollment_id,
                                          acting_partner_id=UNKNOWN_ID))
    assert "acting_partner_id" in other.value.fields
    by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)
    with pytest.raises(errors.EnrollmentTransitionNotAllowed) as suspended:
        bus.handle(commands.LeaveCampaign(enrollment_id=enrollment_id,
                                          acting_partner_id=PARTNER_ID))
    assert "suspended one earns nothing already" in suspended.value.message
    assert uow.enrollments.items[enrollment_id].suspension_reason == "brand_suspended"


def test_a_partner_who_left_rejoins_only_while_it_may_join(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    campaign_id = uow.enrollments.items[enrollment_id].campaign_id
    bus.handle(commands.LeaveCampaign(enrollment_id=enrollment_id, acting_partner_id=PARTNER_ID))
    bus.handle(commands.PauseCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    with pytest.raises(errors.CampaignNotActive):
        bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=PARTNER_ID))
    assert uow.enrollments.items[enrollment_id].suspension_reason == "partner_left"
    assert published(uow, "enrollment_reactivated") == []


# --- a partner's own commission -------------------------------------------------------------
def set_commission(bus, enrollment_id, brand_id, commission):
    bus.handle(commands.SetPartnerCommission(enrollment_id=enrollment_id,
                                             acting_brand_id=brand_id, commission=commission))


def test_the_brand_pays_one_partner_its_own_rate_then_the_campaign_s_again(bus, uow, clock):
    brand_id, enrollment_id = enrolled(bus, uow)
    for _ in range(2):  # the same figures again change nothing
        set_commission(bus, enrollment_id, brand_id,
                       {"rate": Decimal("0.150"), "max": usd("50.00")})
    stored = uow.enrollments.items[enrollment_id]
    assert (stored.commission.rate, stored.commission.max, stored.commission_since) == (
        Decimal("0.15"), usd("50.00"), NOW)
    clock.advance(days=1)
    set_commission(bus, enrollment_id, brand_id, None)
    stored = uow.enrollments.items[enrollment_id]
    assert (stored.commission, stored.commission_since) == (None, NOW + timedelta(days=1))
    [own, back] = published(uow, "enrollment_commission_changed")
    assert own["commission"] == {"model": "CPS", "rate": "0.15", "min": None,
                                 "max": {"amount": "50.00", "currency": "USD"},
                                 "amount": None}
    assert (own["campaign_name"], own["status"], own["revision"]) == ("Winter sale", "ACTIVE", 2)
    assert own["effective_from"].startswith(NOW.date().isoformat())
    assert (back["commission"], back["revision"]) == (None, 3)
    parsed = contracts.ENROLLMENT_COMMISSION_CHANGED.parse(own)
    assert parsed["commission"]["rate"] == Decimal("0.15")


def test_a_partner_s_figures_obey_the_campaign_s_model_field_by_field(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)  # the campaign pays CPS
    with pytest.raises(ValidationError) as bad:
        set_commission(bus, enrollment_id, brand_id,
                       {"rate": Decimal("1.5"), "amount": usd("5.00"), "min": Money("1", "EUR")})
    problems = bad.value.fields["commission"]
    assert set(problems) == {"rate", "amount", "min"}
    assert "at most 1" in problems["rate"][0] and "Only for CPA and CPC" in problems["amount"][0]
    with pytest.raises(ValidationError) as missing:
        set_commission(bus, enrollment_id, brand_id, {})
    assert missing.value.fields["commission"] == {"rate": ["Required for CPS terms."]}
    assert uow.enrollments.items[enrollment_id].commission is None
    assert published(uow, "enrollment_commission_changed") == []


def test_only_the_brand_gives_an_enrolled_link_its_own_figures(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    other_brand = brand(bus)
    with pytest.raises(Forbidden):
        set_commission(bus, enrollment_id, other_brand, {"rate": Decimal("0.2")})
    with pytest.raises(NotFound):
        set_commission(bus, UNKNOWN_ID, brand_id, {"rate": Decimal("0.2")})
    reviewed = campaign(bus, brand_id, admission="review")
    bus.handle(commands.EnrollPartner(campaign_id=reviewed, partner_id=PARTNER_ID))
    [application] = [e for e in uow.enrollments.items.values() if e.campaign_id == reviewed]
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        set_commission(bus, application.id, brand_id, {"rate": Decimal("0.2")})
    campaign_id = uow.enrollments.items[enrollment_id].campaign_id
    bus.handle(commands.EndCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    with pytest.raises(errors.CampaignClosed):
        set_commission(bus, enrollment_id, brand_id, {"rate": Decimal("0.2")})
    assert published(uow, "enrollment_commission_changed") == []


def test_a_suspended_link_keeps_and_gets_its_own_figures(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)
    set_commission(bus, enrollment_id, brand_id, {"rate": Decimal("0.2")})
    by_brand(bus, commands.ReactivateEnrollment, enrollment_id, brand_id)
    stored = uow.enrollments.items[enrollment_id]
    assert (stored.status.value, stored.commission.rate) == ("ACTIVE", Decimal("0.2"))
    [changed] = published(uow, "enrollment_commission_changed")
    assert changed["status"] == "SUSPENDED"


# --- a link's own code -------------------------------------------------------------------
def change_code(bus, enrollment_id, code, **actor):
    bus.handle(commands.ChangeReferralCode(enrollment_id=enrollment_id, code=code, **actor))


def test_the_partner_gives_its_link_a_code_of_its_own(bus, uow):
    _, enrollment_id = enrolled(bus, uow)
    drawn = uow.enrollments.items[enrollment_id].referral_code
    for _ in range(2):  # the same code again changes nothing
        change_code(bus, enrollment_id, "bea10", acting_partner_id=PARTNER_ID)
    stored = uow.enrollments.items[enrollment_id]
    assert (stored.referral_code, stored.tracking_url, stored.revision) == (
        "bea10", f"{BASE_URL}/r/bea10", 2)
    [changed] = published(uow, "enrollment_code_changed")
    assert {k: changed[k] for k in ("referral_code", "tracking_url", "previous_code",
                                    "changed_by", "campaign_name", "status", "reason")} == {
        "referral_code": "bea10", "tracking_url": f"{BASE_URL}/r/bea10",
        "previous_code": drawn, "changed_by": "partner", "campaign_name": "Winter sale",
        "status": "ACTIVE", "reason": None}
    assert contracts.ENROLLMENT_CODE_CHANGED.parse(changed)["revision"] == 2


def test_the_brand_chooses_a_suspended_link_s_code_and_the_reason_travels_with_it(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    by_brand(bus, commands.SuspendEnrollment, enrollment_id, brand_id)
    change_code(bus, enrollment_id, "acme-bea", acting_brand_id=brand_id)
    [changed] = published(uow, "enrollment_code_changed")
    assert (changed["changed_by"], changed["status"], changed["reason"]) == (
        "brand", "SUSPENDED", "brand_suspended")


def test_a_code_another_link_has_is_refused_and_nothing_changes(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    second = "00000000-0000-4000-8000-0000000000aa"
    partner_event(bus, partner_id=second)
    campaign_id = uow.enrollments.items[enrollment_id].campaign_id
    bus.handle(commands.EnrollPartner(campaign_id=campaign_id, partner_id=second))
    [other] = [e for e in uow.enrollments.items.values() if e.partner_id == second]
    with pytest.raises(Conflict) as taken:
        change_code(bus, enrollment_id, other.referral_code, acting_brand_id=brand_id)
    assert taken.value.fields == {"code": ["Already taken: choose another."]}
    assert uow.enrollments.items[enrollment_id].revision == 1
    assert published(uow, "enrollment_code_changed") == []


def test_only_the_link_s_partner_or_brand_changes_an_enrolled_link_s_code(bus, uow):
    brand_id, enrollment_id = enrolled(bus, uow)
    with pytest.raises(Forbidden) as partner:
        change_code(bus, enrollment_id, "bea10", acting_partner_id=UNKNOWN_ID)
    assert partner.value.fields == {"acting_partner_id": ["Not the enrollment's partner."]}
    with pytest.raises(Forbidden):
        change_code(bus, enrollment_id, "bea10", acting_brand_id=brand(bus))
    with pytest.raises(NotFound):
        change_code(bus, UNKNOWN_ID, "bea10", acting_brand_id=brand_id)
    reviewed = campaign(bus, brand_id, admission="review")
    bus.handle(commands.EnrollPartner(campaign_id=reviewed, partner_id=PARTNER_ID))
    [application] = [e for e in uow.enrollments.items.values() if e.campaign_id == reviewed]
    with pytest.raises(errors.EnrollmentTransitionNotAllowed):
        change_code(bus, application.id, "bea10", acting_partner_id=PARTNER_ID)
    campaign_id = uow.enrollments.items[enrollment_id].campaign_id
    bus.handle(commands.EndCampaign(campaign_id=campaign_id, acting_brand_id=brand_id))
    with pytest.raises(errors.CampaignClosed):
        change_code(bus, enrollment_id, "bea10", acting_partner_id=PARTNER_ID)
    assert published(uow, "enrollment_code_changed") == []
