"""The confirming publisher (common/nameko/confirms.py) on a fake channel: what counts as
confirmed."""
from __future__ import annotations

from kombu import Exchange

from common.nameko.confirms import Outgoing
from tests.unit.fake_broker import FakeBroker, FakeChannelPublisher


def one(publisher, message_id: str, **properties) -> int:
    return publisher.publish_batch([Outgoing(body={}, exchange=Exchange("x"), routing_key="k",
                                             properties={"message_id": message_id,
                                                         **properties})])


def test_after_a_reconnect_the_first_batch_is_counted_confirmed():
    """A new channel numbers its deliveries from 1 again: the publisher used to compare
    the broker's acks with the old channel's numbers and report the first batch after a
    reconnect unconfirmed (the relay's sweep then sent it twice)."""
    broker = FakeBroker("ack", "ack", "silent", "ack")
    publisher = FakeChannelPublisher(broker)

    assert [one(publisher, f"m-{n}") for n in range(4)] == [1, 1, 0, 1]
    assert broker.connections == 2


def test_a_returned_message_never_counts_as_confirmed_even_when_acked():
    """RabbitMQ acks a ``mandatory`` message no queue took, after returning it."""
    publisher = FakeChannelPublisher(FakeBroker("return", "ack"))
    assert one(publisher, "m-1", mandatory=True) == 0
    assert one(publisher, "m-2", mandatory=True) == 1  # the return was the first one's only


def test_a_nacked_message_is_not_confirmed_and_the_next_one_is():
    publisher = FakeChannelPublisher(FakeBroker("nack", "ack"))
    assert [one(publisher, "m-1"), one(publisher, "m-2")] == [0, 1]
