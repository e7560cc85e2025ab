"""The clicks' hand-over (group commit), on a fake broker channel: a redirect returns only
once the message carrying its click is confirmed; a returned (unroutable), nacked or
unconfirmed message is never taken for a confirm."""
from __future__ import annotations

import json
import os

import eventlet
import pytest

from common.contracts import bff
from common.nameko import metrics
from common.seedwork.errors import ServiceUnavailable
from services.bff.click_journal import ClickJournal
from services.bff.clicks import BufferedClickCapture, ClickCapture, JournaledClickCapture
from tests.unit.fake_broker import FakeBroker, FakeChannelPublisher

CONFIG = {"AMQP_URI": "memory://"}


def capture_with(broker: FakeBroker, **options) -> ClickCapture:
    return ClickCapture("memory://", CONFIG, publisher_factory=lambda: FakeChannelPublisher(broker),
                        check_contract=True, **options)


def click(n: int) -> dict:
    return {"click_id": f"0190c1d2-0000-7000-8000-{n:012d}", "referral_code": "bea-spring",
            "ip": f"198.51.100.{n}", "user_agent": "ua", "occurred_at": "2026-12-06T10:00:00Z"}


def test_concurrent_clicks_travel_as_one_persistent_confirmed_message():
    broker = FakeBroker()
    capture = capture_with(broker, max_batch=50, max_in_flight=1)
    pool = eventlet.GreenPool()
    list(pool.imap(lambda n: capture.capture(click(n), f"req-{n}"), range(10)))
    assert [len(m["body"]["payload"]["clicks"]) for m in broker.published] == [1, 9]
    message = broker.published[1]
    assert message["routing_key"] == "clicks_captured" and message["mandatory"] is True
    assert message["exchange"].name == "bff.events" and message["delivery_mode"] == 2
    body = message["body"]
    assert (body["source"], body["type"], body["version"]) == ("bff", "clicks_captured", 1)
    assert message["message_id"] == body["event_id"]
    assert bff.CLICKS_CAPTURED.parse(body["payload"])["clicks"][0]["click_id"] == \
        click(1)["click_id"]
    assert message["headers"]["nameko.correlation_id"] == body["correlation_id"] == "req-1"


def test_a_redirect_returns_only_after_its_batch_is_confirmed():
    broker, order = FakeBroker(), []
    capture = capture_with(broker, max_in_flight=1)
    original = FakeChannelPublisher.drain_events

    def drain(self, timeout=None):
        order.append("confirm")
        return original(self, timeout)

    FakeChannelPublisher.drain_events = drain
    try:
        capture.capture(click(1))
        order.append("answered")
    finally:
        FakeChannelPublisher.drain_events = original
    assert order == ["confirm", "answered"]


@pytest.mark.parametrize("first", ["nack", "return", "silent"])
def test_an_unconfirmed_publish_is_tried_once_more_with_the_same_message_id(first):
    broker = FakeBroker(first, "ack")
    capture_with(broker).capture(click(1))
    [one, two] = broker.published
    assert one["message_id"] == two["message_id"]  # tracking's inbox takes it once


@pytest.mark.parametrize("answer", ["nack", "return", "silent"])
def test_twice_unconfirmed_fails_every_redirect_of_the_batch_with_a_503(answer):
    broker = FakeBroker(*[answer] * 10)
    capture = capture_with(broker, max_in_flight=1)
    pool = eventlet.GreenPool()
    waiting = [pool.spawn(capture.capture, click(n)) for n in range(3)]
    for green in waiting:
        with pytest.raises(ServiceUnavailable):
            green.wait()


def test_a_malformed_click_fails_its_batch_before_anything_is_published_when_checked():
    broker = FakeBroker()
    with pytest.raises(ValueError):
        capture_with(broker).capture({**click(1), "ip": "not an address"})
    assert broker.published == []


# --- buffered: answered at once, flushed in the background -----------------------------------
def buffered_with(broker: FakeBroker, **options) -> BufferedClickCapture:
    return BufferedClickCapture("memory://", CONFIG, check_contract=True,
                                publisher_factory=lambda: FakeChannelPublisher(broker),
                                **options)


def test_buffered_answers_at_once_and_the_flusher_hands_the_buffer_over():
    broker = FakeBroker()
    capture = buffered_with(broker, flush_interval=0.02, max_batch=4)
    capture.start(eventlet.spawn)
    for n in range(10):
        capture.capture(click(n))
    assert broker.published == [] and capture.buffered == 10  # nothing waited on the broker
    eventlet.sleep(0.2)
    sent = [c["click_id"] for m in broker.published for c in m["body"]["payload"]["clicks"]]
    assert sent == [click(n)["click_id"] for n in range(10)]  # in order, each once
    assert max(len(m["body"]["payload"]["clicks"]) for m in broker.published) <= 4
    assert capture.buffered == 0
    capture.close()


def test_buffered_keeps_what_the_broker_did_not_confirm_and_sends_it_again():
    broker = FakeBroker("nack", "return", "ack")
    capture = buffered_with(broker, flush_interval=0.01, retry_pause=0.01)
    capture.start(eventlet.spawn)
    capture.capture(click(1))
    eventlet.sleep(0.2)
    assert len(broker.published) == 3 and capture.buffered == 0
    capture.close()


def test_buffered_refuses_beyond_its_bound_while_the_broker_is_away():
    broker = FakeBroker(*["silent"] * 100)
    capture = buffered_with(broker, max_buffered=3)
    for n in range(3):
        capture.capture(click(n))
    with pytest.raises(ServiceUnavailable):
        capture.capture(click(4))


def test_a_graceful_stop_hands_the_buffer_over_first():
    broker = FakeBroker()
    capture = buffered_with(broker, flush_interval=60)
    capture.start(eventlet.spawn)
    capture.capture(click(1))
    capture.close()
    assert [len(m["body"]["payload"]["clicks"]) for m in broker.published] == [1]


# --- journaled: answered once written to the journal, forgotten once confirmed --------------
def journaled_with(broker: FakeBroker, directory, **options) -> JournaledClickCapture:
    return JournaledClickCapture("memory://", CONFIG, journal=ClickJournal(directory),
                                 check_contract=True,
                                 publisher_factory=lambda: FakeChannelPublisher(broker),
                                 **options)


def journal_lines(directory) -> list[str]:
    return [json.loads(line)["click_id"] for path in sorted(directory.glob("*.clicks"))
            for line in path.read_bytes().splitlines()]


def test_journaled_answers_once_written_and_forgets_what_the_broker_confirmed(tmp_path):
    broker = FakeBroker()
    capture = journaled_with(broker, tmp_path, flush_interval=0.02, max_batch=4)
    capture.start(eventlet.spawn)
    for n in range(10):
        capture.capture(click(n))
    assert broker.published == []  # nothing waited on the broker...
    assert journal_lines(tmp_path) == [click(n)["click_id"] for n in range(10)]  # ...but disk
    eventlet.sleep(0.2)
    sent = [c["click_id"] for m in broker.published for c in m["body"]["payload"]["clicks"]]
    assert sent == [click(n)["click_id"] for n in range(10)]
    assert journal_lines(tmp_path) == [] and capture.journal.pending() == 0
    capture.close()


def test_journaled_keeps_unconfirmed_clicks_on_disk_for_the_next_start(tmp_path):
    capture = journaled_with(FakeBroker(*["silent"] * 20), tmp_path, flush_interval=60)
    capture.start(eventlet.spawn)
    capture.capture(click(1))
    capture.capture(click(2))
    capture.close()  # the broker never confirmed: nothing lost, nothing forgotten
    assert journal_lines(tmp_path) == [click(1)["click_id"], click(2)["click_id"]]

    broker = FakeBroker()
    successor = journaled_with(broker, tmp_path, flush_interval=0.01)
    successor.start(eventlet.spawn)
    eventlet.sleep(0.2)
    sent = [c["click_id"] for m in broker.published for c in m["body"]["payload"]["clicks"]]
    assert sent == [click(1)["click_id"], click(2)["click_id"]]
    assert list(tmp_path.glob("*.clicks")) == []
    successor.close()


def test_journaled_picks_up_what_a_crashed_sibling_left_while_running(tmp_path):
    broker = FakeBroker()
    capture = journaled_with(broker, tmp_path, flush_interval=0.01, orphan_scan_seconds=0.05)
    capture.start(eventlet.spawn)
    sibling = ClickJournal(tmp_path)
    sibling.append(click(7))
    eventlet.sleep(0.2)
    assert broker.published == []  # its writer still holds it
    os.close(sibling._current.fd)  # the sibling dies: its lock goes with it
    eventlet.sleep(0.3)
    sent = [c["click_id"] for m in broker.published for c in m["body"]["payload"]["clicks"]]
    assert sent == [click(7)["click_id"]]
    capture.close()


def test_journaled_refuses_a_click_it_cannot_write_and_promises_nothing(tmp_path):
    (tmp_path / "file").write_text("")
    capture = journaled_with(FakeBroker(), tmp_path / "file" / "clicks")
    with pytest.raises(ServiceUnavailable) as refused:
        capture.capture(click(1))
    assert refused.value.fields == {"service": ["click journal"]}
    assert capture.buffered == 0


def test_journaled_goes_on_flushing_when_the_journal_cannot_be_tidied(tmp_path, monkeypatch):
    broker = FakeBroker()
    capture = journaled_with(broker, tmp_path, flush_interval=0.01, orphan_scan_seconds=0.01)

    def broken(*_args, **_kwargs):
        raise PermissionError("the disk says no")

    monkeypatch.setattr(capture.journal, "handed_over", broken)
    monkeypatch.setattr(capture.journal, "claim_orphans", broken)
    monkeypatch.setattr(capture.journal, "prepare", lambda: None)
    capture.start(eventlet.spawn)
    for n in range(3):
        capture.capture(click(n))
        eventlet.sleep(0.05)
    sent = [c["click_id"] for m in broker.published for c in m["body"]["payload"]["clicks"]]
    assert sent == [click(n)["click_id"] for n in range(3)]  # the flusher survived
    capture.close()


def test_the_flusher_says_how_many_answered_clicks_wait_for_the_broker(tmp_path):
    gauge = metrics.CLICKS_UNCONFIRMED.labels("bff")
    broker = FakeBroker(*["nack"] * 50)  # the broker takes nothing for a while
    capture = journaled_with(broker, tmp_path, flush_interval=0.01, retry_pause=0.01)
    capture.start(eventlet.spawn)
    for n in range(3):
        capture.capture(click(n))
    eventlet.sleep(0.1)
    assert gauge._value.get() == 3
    broker.answers = []  # back: every publish acked from now on
    eventlet.sleep(0.2)
    assert gauge._value.get() == 0
    capture.close()
