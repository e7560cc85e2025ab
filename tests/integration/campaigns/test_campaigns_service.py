"""The campaigns service container over the real broker, on SQLite and PostgreSQL."""
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts import campaigns as contracts
from common.nameko.config import db_uri
from common.seedwork.errors import (
    BusinessRuleViolation,
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from common.seedwork.infrastructure.database import Database
from services.campaigns.infrastructure.tables import (
    campaigns,
    outbox_messages,
    partner_replicas,
)
from services.campaigns.service import CampaignsService
from services.commissions.service import CommissionsService
from tests.integration.campaigns.support import (
    BASE_URL,
    CPS_10,
    campaign_payload,
    campaigns_config,
    count,
    new_partner_id,
    partner_snapshot,
    publish_partner_event,
    usd,
)
from tests.integration.commissions import tracking_events as tracking
from tests.support import migrated, wait_for


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    return campaigns_config(rabbit_config, make_db_uri, db_kind)


@pytest.fixture
def rpc(config, container_factory):
    container_factory(CampaignsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy.campaigns


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "campaigns"))
    yield database
    database.dispose()


def known_partner(config, db, **snapshot) -> str:
    """A partner the service learnt about from a partners event."""
    partner_id = new_partner_id()
    publish_partner_event(config, "partner_activated",
                          partner_snapshot(partner_id, status="ACTIVE", **snapshot))
    wait_for(lambda: count(db, partner_replicas, partner_replicas.c.id == partner_id),
             message="the partner replica")
    return partner_id


def active_campaign(rpc, **overrides) -> tuple[str, dict]:
    brand_id = rpc.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    created = rpc.create_campaign(campaign_payload(brand_id, **overrides))
    return brand_id, rpc.activate_campaign(created["campaign_id"], brand_id)


def test_brand_runs_a_cps_campaign_and_partners_enroll(rpc, config, db, event_probe):
    """Acceptance: CPS 10% with 1000.00 USD, activated; an ACTIVE partner enrolls; a
    PENDING or ineligible partner is refused with a clear typed error."""
    probe = event_probe("campaigns")
    brand_id = rpc.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    assert rpc.get_brand(brand_id)["currency"] == "USD"
    created = rpc.create_campaign(campaign_payload(
        brand_id, eligibility={"partner_types": ["influencer"], "countries": ["ES"]}))
    assert (created["status"], created["budget"]) == ("DRAFT", usd("1000.00"))
    assert created["terms"]["rate"] == "0.1" and created["terms_history"] == [created["terms"]]
    campaign = rpc.activate_campaign(created["campaign_id"], brand_id)
    assert campaign["status"] == "ACTIVE"
    campaign_id = campaign["campaign_id"]

    ana = known_partner(config, db)
    enrollment = rpc.enroll_partner(campaign_id, ana)
    code = enrollment["referral_code"]
    assert 8 <= len(code) <= 12 and code.isalnum()
    assert enrollment["tracking_url"] == f"{BASE_URL}/r/{code}"
    assert (enrollment["status"], enrollment["partner_id"]) == ("ACTIVE", ana)
    assert rpc.enroll_partner(campaign_id, ana) == enrollment  # the same one, no new event

    pending = new_partner_id()  # registered, not activated: not known here (replica)
    publish_partner_event(config, "partner_registered",
                          partner_snapshot(pending, status="PENDING"))
    with pytest.raises(NotFound) as refused:
        rpc.enroll_partner(campaign_id, pending)
    assert refused.value.fields == {"partner_id": ["Unknown, or not activated yet."]}
    with pytest.raises(contracts.PartnerNotEligible) as refused:
        rpc.enroll_partner(campaign_id, known_partner(config, db, country="FR"))
    assert "Country FR" in refused.value.message
    with pytest.raises(NotFound):
        rpc.enroll_partner(campaign_id, new_partner_id())

    assert rpc.resolve_referral_code(code.upper()) == {
        "referral_code": code, "enrollment_id": enrollment["enrollment_id"],
        "campaign_id": campaign_id, "brand_id": brand_id, "partner_id": ana,
        "status": "ACTIVE", "landing_url": "https://acme.example/winter",
        "campaign_status": "ACTIVE"}
    page = rpc.list_enrollments({"campaign_id": campaign_id})
    assert page["total"] == 1 and page["items"][0]["referral_code"] == code

    wait_for(lambda: len(probe.of_type("partner_enrolled")) == 1, message="partner_enrolled")
    types = [m["type"] for m in probe.messages]
    assert types == ["brand_registered", "campaign_created", "campaign_activated",
                     "partner_enrolled"]
    enrolled = probe.of_type("partner_enrolled")[0]["payload"]
    contracts.PARTNER_ENROLLED.parse(enrolled)
    assert enrolled["campaign"]["revision"] == 2 and enrolled["terms_history"][0]["rate"] == "0.1"


INVALID_CAMPAIGNS = [
    ({"terms": {**CPS_10, "rate": "1.5"}}, ["terms", "rate"]),
    ({"terms": {**CPS_10, "min": usd("-1.00")}}, ["terms", "min"]),
    ({"terms": {"model": "CPA", "amount": usd("-5.00"), "attribution_window_days": 30,
                "hold_days": 0}}, ["terms", "amount"]),
    ({"budget": usd("-100.00")}, ["budget"]),
    ({"terms": {**CPS_10, "attribution_window_days": 0}}, ["terms", "attribution_window_days"]),
    ({"terms": {**CPS_10, "min": usd("50.00"), "max": usd("10.00")}}, ["terms", "min"]),
    ({"terms": {**CPS_10, "model": "CPM"}}, ["terms", "model"]),
    ({"currency": "EUR", "budget": {"amount": "1000.00", "currency": "EUR"}}, ["currency"]),
    ({"terms": {"model": "CPA", "amount": {"amount": "5.00", "currency": "EUR"},
                "attribution_window_days": 30, "hold_days": 0}}, ["terms", "amount"]),
    ({"terms": {**CPS_10, "recurring_months": 0}}, ["terms", "recurring_months"]),
    ({"terms": {"model": "CPC", "amount": usd("0.20"), "recurring_months": 12,
                "attribution_window_days": 1, "hold_days": 0}}, ["terms", "recurring_months"]),
]


def field_at(fields: dict, path: list[str]):
    for key in path:
        fields = fields[key]
    return fields


def test_invalid_terms_are_refused_field_by_field_and_change_nothing(rpc, db, event_probe):
    probe = event_probe("campaigns")  # bound first: events go out just after each reply
    brand_id = rpc.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    for overrides, path in INVALID_CAMPAIGNS:
        with pytest.raises(ValidationError) as error:
            rpc.create_campaign(campaign_payload(brand_id, **overrides))
        assert field_at(error.value.fields, path), (overrides, error.value.fields)
    assert count(db, campaigns) == 0 and count(db, outbox_messages) == 1  # brand_registered

    _, campaign = active_campaign(rpc)
    before = rpc.get_campaign(campaign["campaign_id"])
    with pytest.raises(ValidationError) as error:
        rpc.change_terms(campaign["campaign_id"], campaign["brand_id"],
                         {**CPS_10, "rate": "2", "hold_days": 120})
    assert set(error.value.fields["terms"]) == {"rate", "hold_days"}
    assert rpc.get_campaign(campaign["campaign_id"]) == before
    wait_for(lambda: len(probe.drain()) >= 4, message="the four events")
    assert [m["type"] for m in probe.drain(settle=0.3)] == [  # the valid calls, nothing else
        "brand_registered", "brand_registered", "campaign_created", "campaign_activated"]


def test_another_brand_cannot_activate_pause_or_edit_the_campaign(rpc):
    owner = rpc.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    intruder = rpc.register_brand({"name": "Rival", "currency": "USD"})["brand_id"]
    campaign_id = rpc.create_campaign(campaign_payload(owner))["campaign_id"]
    with pytest.raises(Forbidden):
        rpc.activate_campaign(campaign_id, intruder)
    rpc.activate_campaign(campaign_id, owner)
    for attempt in (lambda: rpc.pause_campaign(campaign_id, intruder),
                    lambda: rpc.end_campaign(campaign_id, intruder),
                    lambda: rpc.change_terms(campaign_id, intruder, CPS_10)):
        with pytest.raises(Forbidden) as error:
            attempt()
        assert error.value.code == "forbidden"
    campaign = rpc.get_campaign(campaign_id)
    assert (campaign["status"], campaign["revision"], len(campaign["terms_history"])) == (
        "ACTIVE", 2, 1)


def test_terms_versions_and_lifecycle(rpc, event_probe):
    probe = event_probe("campaigns", "campaign_terms_changed")
    brand_id, campaign = active_campaign(rpc)
    campaign_id = campaign["campaign_id"]
    start = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    changed = rpc.change_terms(campaign_id, brand_id, {
        "model": "CPA", "amount": usd("12.50"), "attribution_window_days": 7,
        "hold_days": 30, "recurring_months": 6}, start)
    assert [t["version"] for t in changed["terms_history"]] == [1, 2]
    assert changed["terms"]["version"] == 1  # version 2 is not in force yet
    assert changed["terms_history"][1]["amount"] == usd("12.50")
    assert [t["recurring_months"] for t in changed["terms_history"]] == [None, 6]
    assert [t["recurring_months"] for t in rpc.get_campaign(campaign_id)["terms_history"]] == [
        None, 6]
    assert rpc.pause_campaign(campaign_id, brand_id)["pause_reason"] == "manual"
    with pytest.raises(BusinessRuleViolation) as error:
        rpc.pause_campaign(rpc.create_campaign(campaign_payload(brand_id))["campaign_id"],
                           brand_id)
    assert error.value.code == "invalid_campaign_transition"
    assert rpc.end_campaign(campaign_id, brand_id)["status"] == "ENDED"
    with pytest.raises(contracts.CampaignTransitionNotAllowed):
        rpc.cancel_campaign(campaign_id, brand_id)
    [event] = wait_for(lambda: probe.of_type("campaign_terms_changed"))
    assert event["payload"]["new_terms"]["version"] == 2
    assert event["payload"]["new_terms"]["recurring_months"] == 6  # what tracking credits by
    assert event["payload"]["campaign"]["terms"]["version"] == 1


def test_lists_filter_and_page(rpc):
    acme = rpc.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    rival = rpc.register_brand({"name": "Rival", "currency": "USD"})["brand_id"]
    ids = [rpc.create_campaign(campaign_payload(acme, name=f"C{n}"))["campaign_id"]
           for n in range(3)]
    rpc.create_campaign(campaign_payload(rival))
    rpc.activate_campaign(ids[0], acme)
    page = rpc.list_campaigns({"brand_id": acme, "page_size": 2})
    assert (page["total"], len(page["items"]), page["page"], page["page_size"]) == (3, 2, 1, 2)
    assert {item["brand_id"] for item in page["items"]} == {acme}
    active = rpc.list_campaigns({"status": "ACTIVE"})["items"]
    assert [item["campaign_id"] for item in active] == [ids[0]]
    assert active[0]["terms_history"][0]["model"] == "CPS"
    assert rpc.list_campaigns()["total"] == 4 and rpc.list_brands()["total"] == 2
    with pytest.raises(ValidationError):
        rpc.list_campaigns({"status": "SLEEPING"})
    with pytest.raises(NotFound):
        rpc.get_campaign(new_partner_id())


def test_commissions_using_up_the_budget_pause_the_campaign_and_a_top_up_reopens_it(
        rabbit_config, make_db_uri, db_kind, container_factory):
    """Campaigns and commissions side by side: commissions promises the budget (from
    campaigns' events) and reports it used up; campaigns pauses, refuses to reactivate,
    and reopens after the brand raises the budget."""
    commissions_uri = migrated("commissions", make_db_uri(db_kind, "commissions"))
    config = campaigns_config(rabbit_config, make_db_uri, db_kind,
                              db_uris={"commissions": commissions_uri})
    container_factory(CampaignsService, config).start()
    container_factory(CommissionsService, config).start()
    cpa = {"model": "CPA", "amount": usd("10.00"), "attribution_window_days": 30,
           "hold_days": 0}
    with ClusterRpcProxy(config, timeout=10) as proxy:
        rpc = proxy.campaigns
        brand_id, campaign = active_campaign(rpc, terms=cpa, budget=usd("25.00"))
        campaign_id = campaign["campaign_id"]
        wait_for(lambda: known_budget(proxy, campaign_id), message="commissions' budget")
        for _ in range(2):  # 20.00 owed, 5.00 left: less than a 10.00 commission
            conversion = tracking.conversion_attributed(
                new_partner_id(), campaign_id=campaign_id, brand_id=brand_id,
                model="CPA", amount="10.00")
            tracking.publish(config, tracking.envelope("conversion_attributed", conversion))
        wait_for(lambda: rpc.get_campaign(campaign_id)["pause_reason"] == "budget_exhausted",
                 message="the campaign paused by the exhausted budget")
        with pytest.raises(contracts.InsufficientBudget):
            rpc.activate_campaign(campaign_id, brand_id)
        topped_up = rpc.change_budget(campaign_id, brand_id, usd("1500.00"))
        assert topped_up["budget"] == usd("1500.00")
        assert rpc.activate_campaign(campaign_id, brand_id)["status"] == "ACTIVE"
        wait_for(lambda: proxy.commissions.get_campaign_budget(campaign_id)["remaining"]
                 == usd("1480.00"), message="commissions following the new budget")


def known_budget(proxy, campaign_id):
    try:
        return proxy.commissions.get_campaign_budget(campaign_id)
    except NotFound:
        return None


def test_health(rpc):
    assert rpc.health() == {"service": "campaigns", "status": "ok", "database": "ok"}


def test_a_campaign_ends_by_itself_when_its_end_date_passes(rabbit_config, make_db_uri, db_kind,
                                                             container_factory, event_probe):
    """The expiry timer finds the campaign in the real table and ends it once: ENDED,
    ``campaign_ended`` published, and no more enrollments."""
    config = campaigns_config(rabbit_config, make_db_uri, db_kind)
    config["CAMPAIGNS"]["expiry_interval_seconds"] = 0.2
    container = container_factory(CampaignsService, config)
    container.start()
    probe = event_probe("campaigns", "campaign_ended")
    database = Database(db_uri(config, "campaigns"))
    partner_id = known_partner(config, database)
    database.dispose()
    ends_at = datetime.now(UTC) + timedelta(seconds=2)
    with ClusterRpcProxy(config, timeout=10) as proxy:
        brand_id, campaign = active_campaign(
            proxy.campaigns, ends_at=ends_at.isoformat().replace("+00:00", "Z"))
        _, open_ended = active_campaign(proxy.campaigns)
        assert campaign["status"] == "ACTIVE"
        wait_for(lambda: proxy.campaigns.get_campaign(campaign["campaign_id"])["status"]
                 == "ENDED", timeout=10, message="the campaign ended")
        [ended] = probe.drain(settle=1.0)
        assert ended["payload"]["campaign"]["campaign_id"] == campaign["campaign_id"]
        assert proxy.campaigns.get_campaign(open_ended["campaign_id"])["status"] == "ACTIVE"
        with pytest.raises(BusinessRuleViolation):
            proxy.campaigns.enroll_partner(campaign["campaign_id"], partner_id)
        assert proxy.campaigns.enroll_partner(open_ended["campaign_id"], partner_id)
    container.stop()  # its timer stops before the test database is dropped


def test_a_brand_takes_a_partners_link_out_of_its_program_and_back(rpc, config, db,
                                                                   event_probe):
    probe = event_probe("campaigns")
    brand_id, campaign = active_campaign(rpc)
    enrollment = rpc.enroll_partner(campaign["campaign_id"], known_partner(config, db))
    enrollment_id, code = enrollment["enrollment_id"], enrollment["referral_code"]

    with pytest.raises(ValidationError) as too_long:
        rpc.suspend_enrollment(enrollment_id, brand_id, "x" * 1001)
    assert list(too_long.value.fields) == ["note"]
    assert rpc.get_enrollment(enrollment_id)["status"] == "ACTIVE"  # nothing changed
    suspended = rpc.suspend_enrollment(enrollment_id, brand_id, "Coupon sites only, sorry")
    assert (suspended["status"], suspended["suspension_reason"],
            suspended["suspension_note"]) == ("SUSPENDED", "brand_suspended",
                                              "Coupon sites only, sorry")
    assert rpc.suspend_enrollment(enrollment_id, brand_id) == suspended  # no second event
    assert rpc.resolve_referral_code(code)["status"] == "SUSPENDED"
    intruder = rpc.register_brand({"name": "Other", "currency": "USD"})["brand_id"]
    with pytest.raises(Forbidden):
        rpc.reactivate_enrollment(enrollment_id, intruder)
    with pytest.raises(NotFound):
        rpc.suspend_enrollment(new_partner_id(), brand_id)
    with pytest.raises(ValidationError) as bad:
        rpc.suspend_enrollment("not-an-id", brand_id)
    assert "enrollment_id" in bad.value.fields

    restored = rpc.reactivate_enrollment(enrollment_id, brand_id)
    assert (restored["status"], restored["suspension_reason"], restored["suspension_note"],
            restored["revision"]) == ("ACTIVE", None, None, 3)

    def changes():
        found = probe.of_type("enrollment_suspended") + probe.of_type("enrollment_reactivated")
        return len(found) == 2 and found

    assert [(e["type"], e["payload"]["reason"], e["payload"]["campaign_name"],
             e["payload"]["note"]) for e in wait_for(changes)] == [
        ("enrollment_suspended", "brand_suspended", campaign["name"],
         "Coupon sites only, sorry"),
        ("enrollment_reactivated", "brand_reactivated", campaign["name"], None)]


def test_a_campaign_that_reviews_its_partners_takes_applications(rpc, config, db,
                                                                 event_probe):
    probe = event_probe("campaigns")
    brand_id, campaign = active_campaign(rpc, admission="review")
    assert campaign["admission"] == "review"
    applicant, other = known_partner(config, db), known_partner(config, db)

    application = rpc.enroll_partner(campaign["campaign_id"], applicant,
                                     "Hiking reviews, 40k readers")
    assert (application["status"], application["referral_code"],
            application["tracking_url"], application["enrolled_at"]) == (
        "PENDING", None, None, None)
    assert application["application_note"] == "Hiking reviews, 40k readers"
    assert rpc.enroll_partner(campaign["campaign_id"], applicant) == application  # once
    pending = rpc.list_enrollments({"campaign_id": campaign["campaign_id"],
                                    "status": "PENDING"})
    assert [item["enrollment_id"] for item in pending["items"]] == [
        application["enrollment_id"]]

    approved = rpc.approve_enrollment(application["enrollment_id"], brand_id)
    assert (approved["status"], approved["revision"]) == ("ACTIVE", 2)
    assert approved["tracking_url"] == f"{BASE_URL}/r/{approved['referral_code']}"
    assert rpc.resolve_referral_code(approved["referral_code"])["status"] == "ACTIVE"

    refused = rpc.enroll_partner(campaign["campaign_id"], other)
    declined = rpc.decline_enrollment(refused["enrollment_id"], brand_id)
    assert (declined["status"], declined["referral_code"]) == ("DECLINED", None)
    with pytest.raises(contracts.EnrollmentTransitionNotAllowed):
        rpc.decline_enrollment(approved["enrollment_id"], brand_id)
    with pytest.raises(contracts.EnrollmentTransitionNotAllowed):
        rpc.suspend_enrollment(declined["enrollment_id"], brand_id)
    intruder = rpc.register_brand({"name": "Other", "currency": "USD"})["brand_id"]
    with pytest.raises(Forbidden):
        rpc.approve_enrollment(declined["enrollment_id"], intruder)
    with pytest.raises(ValidationError) as bad:
        rpc.enroll_partner(campaign["campaign_id"], new_partner_id(), "x" * 1001)
    assert "note" in bad.value.fields

    def published():
        kinds = ("enrollment_requested", "partner_enrolled", "enrollment_declined")
        found = [e for e in probe.drain() if e["type"] in kinds]
        return len(found) == 4 and found

    events = wait_for(published)
    assert [(e["type"], e["payload"]["partner_id"]) for e in events] == [
        ("enrollment_requested", applicant), ("partner_enrolled", applicant),
        ("enrollment_requested", other), ("enrollment_declined", other)]
    assert events[0]["payload"]["note"] == "Hiking reviews, 40k readers"
    assert "referral_code" not in events[0]["payload"]
    assert events[1]["payload"]["referral_code"] == approved["referral_code"]


def test_an_unknown_admission_is_refused_by_name(rpc):
    brand_id = rpc.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    with pytest.raises(ValidationError) as bad:
        rpc.create_campaign(campaign_payload(brand_id, admission="invite_only"))
    assert list(bad.value.fields) == ["admission"]


def test_a_brand_switches_an_open_campaign_to_review(rpc, config, db):
    brand_id, campaign = active_campaign(rpc)
    assert campaign["admission"] == "open"
    changed = rpc.change_admission(campaign["campaign_id"], brand_id, "review")
    assert (changed["admission"], changed["revision"]) == ("review", campaign["revision"])
    assert rpc.enroll_partner(campaign["campaign_id"],
                              known_partner(config, db))["status"] == "PENDING"
    intruder = rpc.register_brand({"name": "Other", "currency": "USD"})["brand_id"]
    with pytest.raises(Forbidden):
        rpc.change_admission(campaign["campaign_id"], intruder, "open")
    with pytest.raises(ValidationError) as bad:
        rpc.change_admission(campaign["campaign_id"], brand_id, "closed")
    assert list(bad.value.fields) == ["admission"]
    assert rpc.get_campaign(campaign["campaign_id"])["admission"] == "review"


def test_applications_are_withdrawn_made_again_declined_with_a_reason_and_closed(
        rpc, config, db, event_probe):
    probe = event_probe("campaigns")
    brand_id, campaign = active_campaign(rpc, admission="review")
    campaign_id = campaign["campaign_id"]
    mover, refused, waiting = (known_partner(config, db) for _ in range(3))

    first = rpc.enroll_partner(campaign_id, mover, "First note")
    with pytest.raises(Forbidden):
        rpc.withdraw_application(first["enrollment_id"], refused)  # not the applicant
    withdrawn = rpc.withdraw_application(first["enrollment_id"], mover)
    assert (withdrawn["status"], withdrawn["revision"]) == ("WITHDRAWN", 2)
    with pytest.raises(contracts.EnrollmentTransitionNotAllowed):
        rpc.approve_enrollment(first["enrollment_id"], brand_id)
    again = rpc.enroll_partner(campaign_id, mover, "Second note")
    assert (again["enrollment_id"], again["status"], again["application_note"]) == (
        first["enrollment_id"], "PENDING", "Second note")

    no = rpc.enroll_partner(campaign_id, refused)
    with pytest.raises(ValidationError) as bad:
        rpc.decline_enrollment(no["enrollment_id"], brand_id, "x" * 1001)
    assert list(bad.value.fields) == ["reason"]
    assert rpc.get_enrollment(no["enrollment_id"])["status"] == "PENDING"  # unchanged
    declined = rpc.decline_enrollment(no["enrollment_id"], brand_id, "Not our market yet.")
    assert (declined["status"], declined["decline_reason"]) == (
        "DECLINED", "Not our market yet.")
    with pytest.raises(contracts.EnrollmentTransitionNotAllowed):
        rpc.withdraw_application(no["enrollment_id"], refused)  # decided already

    rpc.enroll_partner(campaign_id, waiting)
    rpc.end_campaign(campaign_id, brand_id)
    closed = rpc.list_enrollments({"campaign_id": campaign_id, "status": "DECLINED"})
    assert sorted(item["partner_id"] for item in closed["items"]) == sorted(
        [refused, mover, waiting])  # the two still waiting were declined on closing
    reasons = {item["partner_id"]: item["decline_reason"] for item in closed["items"]}
    assert reasons[waiting] == reasons[mover] == (
        "The campaign closed before your application was reviewed.")

    def published():
        kinds = ("enrollment_requested", "enrollment_withdrawn", "enrollment_declined",
                 "campaign_ended")
        found = [e for e in probe.drain() if e["type"] in kinds]
        return len(found) == 9 and found

    events = [(e["type"], e["payload"].get("partner_id"), e["payload"].get("reason"))
              for e in wait_for(published)]
    closing = "The campaign closed before your application was reviewed."
    assert events[:7] == [
        ("enrollment_requested", mover, None), ("enrollment_withdrawn", mover, None),
        ("enrollment_requested", mover, None), ("enrollment_requested", refused, None),
        ("enrollment_declined", refused, "Not our market yet."),
        ("enrollment_requested", waiting, None), ("campaign_ended", None, None)]
    assert sorted(events[7:]) == sorted([("enrollment_declined", mover, closing),
                                         ("enrollment_declined", waiting, closing)])


def test_a_partner_leaves_a_campaign_and_joins_it_again(rpc, config, db, event_probe):
    probe = event_probe("campaigns")
    brand_id, campaign = active_campaign(rpc)
    partner_id = known_partner(config, db)
    joined = rpc.enroll_partner(campaign["campaign_id"], partner_id)
    with pytest.raises(Forbidden):
        rpc.leave_campaign(joined["enrollment_id"], known_partner(config, db))
    left = rpc.leave_campaign(joined["enrollment_id"], partner_id)
    assert (left["status"], left["suspension_reason"], left["referral_code"]) == (
        "SUSPENDED", "partner_left", joined["referral_code"])  # its link, out of use
    rpc.reactivate_enrollment(joined["enrollment_id"], brand_id)  # not the brand's to undo
    assert rpc.get_enrollment(joined["enrollment_id"])["status"] == "SUSPENDED"
    back = rpc.enroll_partner(campaign["campaign_id"], partner_id)
    assert (back["enrollment_id"], back["status"], back["suspension_reason"]) == (
        joined["enrollment_id"], "ACTIVE", None)

    def published():
        kinds = ("enrollment_suspended", "enrollment_reactivated")
        found = [e for e in probe.drain() if e["type"] in kinds]
        return len(found) == 2 and found

    assert [(e["type"], e["payload"]["reason"]) for e in wait_for(published)] == [
        ("enrollment_suspended", "partner_left"), ("enrollment_reactivated", "partner_rejoined")]


def test_the_brand_pays_one_partner_its_own_rate_then_the_campaign_s(rpc, config, db,
                                                                      event_probe):
    probe = event_probe("campaigns")
    brand_id, campaign = active_campaign(rpc)
    partner_id = known_partner(config, db)
    joined = rpc.enroll_partner(campaign["campaign_id"], partner_id)
    enrollment_id = joined["enrollment_id"]
    with pytest.raises(ValidationError) as bad:  # field by field, nothing changed
        rpc.set_partner_commission(enrollment_id, brand_id,
                                   {"rate": "2", "amount": usd("5.00"), "max": "lots"})
    assert set(bad.value.fields["commission"]) == {"max"}  # the shape first
    with pytest.raises(ValidationError) as wrong:
        rpc.set_partner_commission(enrollment_id, brand_id, {"rate": "2", "amount": usd("5.00")})
    assert set(wrong.value.fields["commission"]) == {"rate", "amount"}
    with pytest.raises(Forbidden):
        rpc.set_partner_commission(enrollment_id, known_partner(config, db), {"rate": "0.2"})
    assert rpc.get_enrollment(enrollment_id)["commission"] is None
    own = rpc.set_partner_commission(enrollment_id, brand_id,
                                     {"rate": "0.150", "max": usd("50.00")})
    assert own["commission"] == {"model": "CPS", "rate": "0.15", "min": None,
                                 "max": usd("50.00"), "amount": None}
    assert own["commission_since"] is not None
    back = rpc.set_partner_commission(enrollment_id, brand_id, None)
    assert (back["commission"], back["revision"]) == (None, 3)

    def published():
        found = [e for e in probe.drain() if e["type"] == "enrollment_commission_changed"]
        return len(found) == 2 and found

    given, taken = wait_for(published)
    assert given["payload"]["commission"]["rate"] == "0.15"
    assert (taken["payload"]["commission"], taken["payload"]["revision"]) == (None, 3)


def test_a_link_takes_a_code_of_its_own_and_its_old_code_stops_resolving(rpc, config, db,
                                                                         event_probe):
    probe = event_probe("campaigns")
    brand_id, campaign = active_campaign(rpc)
    partner_id, other_id = known_partner(config, db), known_partner(config, db)
    joined = rpc.enroll_partner(campaign["campaign_id"], partner_id)
    other = rpc.enroll_partner(campaign["campaign_id"], other_id)
    enrollment_id, drawn = joined["enrollment_id"], joined["referral_code"]
    with pytest.raises(ValidationError) as bad:  # field by field, nothing changed
        rpc.change_referral_code(enrollment_id, "b!", acting_partner_id=partner_id)
    assert bad.value.fields == {"code": ["From 3 to 16 characters."]}
    with pytest.raises(ValidationError) as both:
        rpc.change_referral_code(enrollment_id, "bea10", acting_partner_id=partner_id,
                                 acting_brand_id=brand_id)
    assert set(both.value.fields) == {"acting_partner_id", "acting_brand_id"}
    with pytest.raises(Conflict) as taken:
        rpc.change_referral_code(enrollment_id, other["referral_code"].upper(),
                                 acting_brand_id=brand_id)
    assert taken.value.fields == {"code": ["Already taken: choose another."]}
    assert rpc.get_enrollment(enrollment_id)["referral_code"] == drawn
    mine = rpc.change_referral_code(enrollment_id, "  Bea-Spring ",
                                    acting_partner_id=partner_id)
    assert (mine["referral_code"], mine["revision"]) == ("bea-spring", 2)
    assert mine["tracking_url"].endswith("/r/bea-spring")
    assert rpc.resolve_referral_code("BEA-SPRING")["enrollment_id"] == enrollment_id
    with pytest.raises(NotFound):
        rpc.resolve_referral_code(drawn)
    with pytest.raises(Conflict):  # the brand cannot give it to another link either
        rpc.change_referral_code(other["enrollment_id"], "bea-spring", acting_brand_id=brand_id)
    # the code it left is free for another link
    assert rpc.change_referral_code(other["enrollment_id"], drawn,
                                    acting_brand_id=brand_id)["referral_code"] == drawn

    def published():
        found = [e for e in probe.drain() if e["type"] == "enrollment_code_changed"]
        return len(found) == 2 and found

    first, second = sorted(wait_for(published),
                           key=lambda e: e["payload"]["partner_id"] != partner_id)
    assert (first["payload"]["previous_code"], first["payload"]["changed_by"]) == (
        drawn, "partner")
    assert (second["payload"]["referral_code"], second["payload"]["changed_by"]) == (
        drawn, "brand")
