"""The local replica follows campaigns' and partners' events: newest revision wins,
terms versions accumulate, a malformed event is dead-lettered instead of applied."""
import copy

from kombu import Connection
from sqlalchemy import text

from common.contracts import campaigns as contracts
from common.nameko.events import dead_letter_queue_name
from tests.integration.tracking.helpers import click
from tests.integration.tracking.world import terms
from tests.support import wait_for


def test_an_older_revision_never_rolls_the_replica_back(rpc, world):
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    activated = copy.deepcopy(campaign.snapshot)                 # revision 1
    world.campaign_event(campaign, contracts.CAMPAIGN_PAUSED, status="PAUSED")  # revision 2
    world.publish(contracts.CAMPAIGN_ACTIVATED, {"campaign": {**activated, "revision": 1}})
    world.publish(contracts.PARTNER_ENROLLED, {   # a redelivered enrollment, stale campaign
        **enrollment, "campaign": activated, "terms_history": campaign.terms_history})
    world.campaign_event(campaign, contracts.CAMPAIGN_ENDED, status="ENDED")     # revision 3
    assert world.revision("campaigns", campaign.id) == 3
    with world.database.reader() as conn:
        assert conn.execute(text("SELECT status FROM campaigns WHERE id = :id"),
                            {"id": campaign.id}).scalar() == "ENDED"
    assert click(rpc, enrollment)["attributable"] is False


def test_terms_history_comes_with_the_enrollment_and_every_change(world):
    campaign = world.campaign()
    world.change_terms(campaign, terms(2, rate="0.20"))
    late_campaign_view = world.campaign()
    late_campaign_view.terms_history = [terms(1), terms(2), terms(3, rate="0.30")]
    world.enroll(late_campaign_view)
    with world.database.reader() as conn:
        versions = dict(conn.execute(text(
            "SELECT campaign_id, count(*) FROM campaign_terms GROUP BY campaign_id")).all())
    assert versions == {campaign.id: 2, late_campaign_view.id: 3}


def test_a_malformed_event_is_dead_lettered_and_changes_nothing(world, config):
    world._dispatch("campaigns", "partner_enrolled", {
        "event_id": "e-1", "type": "partner_enrolled", "version": 1,
        "occurred_at": "2026-06-15T12:00:00Z", "payload": {"referral_code": "HALF"}})

    def dead_letters():
        with Connection(config["AMQP_URI"]) as conn:
            queue = conn.SimpleQueue(dead_letter_queue_name("tracking"))
            try:
                return queue.qsize()
            finally:
                queue.close()

    wait_for(dead_letters, message="the malformed event in the dead-letter queue")
    with world.database.reader() as conn:
        assert conn.execute(text("SELECT count(*) FROM enrollments")).scalar() == 0
