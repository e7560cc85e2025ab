"""``QUEUES`` in config.yaml: what each queue is declared as, per type; failover URLs
redacted; RabbitMQ's own dead letters described like ours."""
import datetime

import pytest

from common.nameko import queues
from common.nameko.dead_letters import _describe

QUORUM = {"QUEUES": {"type": "quorum", "delivery_limit": "7"}}


def test_classic_is_the_default_and_declares_what_nameko_and_the_platform_always_did():
    for config in ({}, {"QUEUES": {"type": "classic"}}, {"QUEUES": None}):
        assert queues.settings(config).type == "classic"
        assert queues.handler_queue_arguments(config, "dlq.x") == {}
        assert queues.retry_queue_arguments(config, "q") == {
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "q"}
        assert queues.dead_letter_queue_arguments(config) == {}
        assert queues.rpc_queue_arguments(config) == {}
        assert queues.reply_queue_durable(config)


def test_quorum_replicates_the_work_queues_and_limits_redeliveries():
    handler = queues.handler_queue_arguments(QUORUM, "dlq.tracking")
    assert handler == {"x-queue-type": "quorum", "x-delivery-limit": 7,
                       "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dlq.tracking",
                       "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    retry = queues.retry_queue_arguments(QUORUM, "evt-q")
    assert retry["x-queue-type"] == "quorum" and retry["x-dead-letter-routing-key"] == "evt-q"
    assert retry["x-dead-letter-strategy"] == "at-least-once"
    assert queues.dead_letter_queue_arguments(QUORUM) == {"x-queue-type": "quorum"}
    assert queues.rpc_queue_arguments(QUORUM) == {"x-queue-type": "quorum",
                                                  "x-delivery-limit": 7}
    assert not queues.reply_queue_durable(QUORUM)  # deleted with its node, declared anew


@pytest.mark.parametrize("bad", [{"type": "stream"}, {"type": "quorum", "delivery_limit": 0}])
def test_a_bad_setting_is_refused(bad):
    with pytest.raises(ValueError):
        queues.settings({"QUEUES": bad})


def test_every_password_of_a_failover_list_is_redacted():
    uri = "amqp://app:s3cret@n1:5672/v;amqp://app:s3cret@n2:5672/v;amqp://n3:5672/v"
    redacted = queues.redact(uri)
    assert "s3cret" not in redacted
    assert redacted == ("amqp://app:********@n1:5672/v;amqp://app:********@n2:5672/v;"
                        "amqp://n3:5672/v")
    assert queues.broker_urls(uri)[1] == "amqp://app:s3cret@n2:5672/v"
    queues.install_redaction()
    import nameko.messaging

    assert "s3cret" not in nameko.messaging.sanitize_url(uri)


class Letter:
    """What kombu hands the dead-letter tools for a message RabbitMQ dead-lettered."""

    content_type = "application/json"
    content_encoding = "utf-8"
    body = b'{"event_id": "e-1", "type": "conversion_attributed", "source": "tracking"}'

    def __init__(self, headers):
        self.headers = headers
        self.properties = {"message_id": "e-1", "type": "conversion_attributed"}


def test_a_letter_rabbitmq_dead_lettered_is_described_from_its_x_death():
    queue = "evt-tracking-conversion_attributed--commissions.on_conversion_attributed"
    when = datetime.datetime(2026, 12, 6, 7, 20, 25)
    letter = Letter({"x-death": [
        {"count": 1, "queue": queue, "reason": "delivery_limit", "time": when},
        {"count": 1, "queue": f"{queue}.retry", "reason": "expired", "time": when}]})
    described = _describe("commissions", letter)
    assert described["queue"] == queue and described["reason"] == "delivery_limit"
    assert described["handler"] == "commissions.on_conversion_attributed"
    assert described["failed_at"] == when.isoformat()
    assert "QUEUES.delivery_limit" in described["error"]
    assert described["id"] == _describe("commissions", letter)["id"]  # the same each listing
    assert "x-death" not in described["headers"]


def test_our_own_dead_letters_keep_their_headers():
    letter = Letter({"x-alpes-reason": "handler_failed", "x-alpes-queue": "q",
                     "x-alpes-dead-letter-id": "d-1", "x-death": [{"queue": "q.retry",
                                                                 "reason": "expired"}]})
    described = _describe("commissions", letter)
    assert (described["id"], described["queue"], described["reason"]) == (
        "d-1", "q", "handler_failed")
