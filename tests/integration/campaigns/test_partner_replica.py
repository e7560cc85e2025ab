"""The partners service and campaigns side by side over the real broker: the partner
replica and the enrollments follow what happens to the partner in ``partners``."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts import campaigns as contracts
from common.nameko.config import db_uri
from common.seedwork.errors import NotFound
from common.seedwork.infrastructure.database import Database
from services.campaigns.infrastructure.tables import inbox_messages
from services.campaigns.service import CampaignsService
from services.partners.service import PartnersService
from tests.integration.campaigns.support import (
    campaign_payload,
    campaigns_config,
    count,
    new_partner_id,
    partner_snapshot,
    publish_partner_event,
)
from tests.support import migrated, wait_for

ANA = {"name": "Ana", "email": "ana@example.com", "type": "influencer", "country": "ES"}


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    partners_uri = migrated("partners", make_db_uri("sqlite", "partners"))
    return campaigns_config(rabbit_config, make_db_uri, db_kind,
                            db_uris={"partners": partners_uri})


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "campaigns"))
    yield database
    database.dispose()


@pytest.fixture
def rpc(config, container_factory):
    container_factory(CampaignsService, config).start()
    container_factory(PartnersService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy


def enroll_when_known(rpc, campaign_id, partner_id):
    """Enroll as soon as the partner's activation has reached campaigns."""
    def attempt():
        try:
            return rpc.campaigns.enroll_partner(campaign_id, partner_id)
        except (contracts.PartnerNotActive, NotFound):
            return None
    return wait_for(attempt, message="the partner's activation to reach campaigns")


def test_suspending_the_partner_suspends_its_enrollments_and_reactivation_restores_them(
        rpc, event_probe):
    probe = event_probe("campaigns")
    brand_id = rpc.campaigns.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
    campaign_ids = [rpc.campaigns.create_campaign(campaign_payload(brand_id))["campaign_id"]
                    for _ in range(2)]
    for campaign_id in campaign_ids:
        rpc.campaigns.activate_campaign(campaign_id, brand_id)
    partner_id = rpc.partners.register_partner(ANA)["partner_id"]
    rpc.partners.verify_partner(partner_id)
    rpc.partners.activate_partner(partner_id)
    codes = [enroll_when_known(rpc, c, partner_id)["referral_code"] for c in campaign_ids]

    rpc.partners.suspend_partner(partner_id, "chargeback fraud")
    wait_for(lambda: rpc.campaigns.list_enrollments(
        {"partner_id": partner_id, "status": "SUSPENDED"})["total"] == 2,
        message="both enrollments suspended")
    assert {rpc.campaigns.resolve_referral_code(code)["status"] for code in codes} == {
        "SUSPENDED"}
    another = rpc.campaigns.create_campaign(campaign_payload(brand_id))["campaign_id"]
    rpc.campaigns.activate_campaign(another, brand_id)
    with pytest.raises(contracts.PartnerNotActive):
        rpc.campaigns.enroll_partner(another, partner_id)

    rpc.partners.reactivate_partner(partner_id)
    wait_for(lambda: rpc.campaigns.list_enrollments(
        {"partner_id": partner_id, "status": "ACTIVE"})["total"] == 2,
        message="both enrollments restored")
    wait_for(lambda: len(probe.of_type("enrollment_reactivated")) == 2)
    suspended = probe.of_type("enrollment_suspended")
    assert len(suspended) == 2
    assert {m["payload"]["reason"] for m in suspended} == {"partner_suspended"}


def test_a_redelivered_or_older_partner_event_changes_nothing(config, db, container_factory):
    container_factory(CampaignsService, config).start()
    partner_id = new_partner_id()
    newer = publish_partner_event(config, "partner_suspended", {
        **partner_snapshot(partner_id, status="SUSPENDED", revision=5), "reason": "fraud"})
    wait_for(lambda: count(db, inbox_messages) == 1)
    publish_partner_event(config, "partner_activated", partner_snapshot(partner_id, revision=4))
    publish_partner_event(config, "partner_suspended", newer["payload"])  # a new event id
    wait_for(lambda: count(db, inbox_messages) == 3, message="three events applied")
    with ClusterRpcProxy(config, timeout=10) as rpc:
        brand_id = rpc.campaigns.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
        campaign_id = rpc.campaigns.create_campaign(campaign_payload(brand_id))["campaign_id"]
        rpc.campaigns.activate_campaign(campaign_id, brand_id)
        with pytest.raises(contracts.PartnerNotActive) as refused:
            rpc.campaigns.enroll_partner(campaign_id, partner_id)
    assert "SUSPENDED" in refused.value.message  # revision 4 did not roll the replica back
