"""A worker finishing its message as the broker node goes away must not take the whole
container down (Nameko only ignores amqp's own ConnectionError)."""
import pytest

from common.nameko.consumers import ResilientQueueConsumer


class Channel:
    def __init__(self, connected=True):
        self.connection = object() if connected else None


class Message:
    def __init__(self, error=None, connected=True):
        self.channel = Channel(connected)
        self.error = error
        self.settled = []

    def ack(self):
        self._settle("ack")

    def requeue(self):
        self._settle("requeue")

    def _settle(self, what):
        if self.error:
            raise self.error
        self.settled.append(what)


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"),
                                   BrokenPipeError(32, "Broken pipe")])
def test_a_lost_connection_while_settling_is_logged_not_raised(error, caplog):
    consumer = ResilientQueueConsumer()
    consumer.ack_message(Message(error))
    consumer.requeue_message(Message(error))
    assert "the broker delivers it again" in caplog.text


def test_a_live_message_is_settled_and_a_dead_channel_left_alone():
    consumer = ResilientQueueConsumer()
    live, dead = Message(), Message(connected=False)
    consumer.ack_message(live)
    consumer.requeue_message(live)
    consumer.ack_message(dead)
    assert live.settled == ["ack", "requeue"] and dead.settled == []


def test_other_errors_still_raise():
    with pytest.raises(ValueError):
        ResilientQueueConsumer().ack_message(Message(ValueError("a bug")))
