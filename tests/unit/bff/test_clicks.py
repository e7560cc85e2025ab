"""Concurrent referral clicks share one record_clicks call; each gets its own answer."""
import eventlet
import pytest

from common.seedwork.errors import ServiceUnavailable
from services.bff.clicks import ClickBatcher
from services.bff.errors import ApiError


class Tracking:
    def __init__(self, fail: Exception | None = None):
        self.batches: list[list[dict]] = []
        self.fail = fail

    def record_clicks(self, clicks):
        self.batches.append(list(clicks))
        eventlet.sleep(0.01)  # the RPC's round trip: the next batch fills meanwhile
        if self.fail:
            raise self.fail
        return {"results": [{"error": {"code": "not_found", "message": "No such code.",
                                       "fields": {}}} if c["referral_code"] == "nope"
                            else {"click_id": f"id-{c['ip']}", "redirect_url": c["ip"]}
                            for c in clicks]}


def click(n, code="code1"):
    return {"referral_code": code, "ip": f"10.0.0.{n}", "user_agent": "ua"}


def test_clicks_arriving_during_a_round_trip_share_the_next_call():
    tracking, batcher = Tracking(), ClickBatcher(max_batch=50, max_in_flight=1)
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda n: batcher.record(click(n), tracking.record_clicks),
                             range(10)))
    assert [a["click_id"] for a in answers] == [f"id-10.0.0.{n}" for n in range(10)]
    assert [len(batch) for batch in tracking.batches] == [1, 9]  # the first went at once


def test_a_full_batch_closes_and_the_next_one_fills():
    tracking, batcher = Tracking(), ClickBatcher(max_batch=3, max_in_flight=1)
    pool = eventlet.GreenPool()
    list(pool.imap(lambda n: batcher.record(click(n), tracking.record_clicks), range(7)))
    assert [len(batch) for batch in tracking.batches] == [1, 3, 3]


def test_an_unknown_code_fails_only_its_own_request():
    tracking, batcher = Tracking(), ClickBatcher(max_batch=10, max_in_flight=1)
    pool = eventlet.GreenPool()
    first = pool.spawn(batcher.record, click(0), tracking.record_clicks)
    bad = pool.spawn(batcher.record, click(1, "nope"), tracking.record_clicks)
    good = pool.spawn(batcher.record, click(2), tracking.record_clicks)
    first.wait()
    assert good.wait()["click_id"] == "id-10.0.0.2"
    with pytest.raises(ApiError) as error:
        bad.wait()
    assert error.value.status == 404 and [len(b) for b in tracking.batches] == [1, 2]


def test_a_failed_call_fails_every_click_of_its_batch():
    tracking = Tracking(fail=ServiceUnavailable("tracking.record_clicks did not answer"))
    batcher = ClickBatcher(max_batch=10, max_in_flight=1)
    pool = eventlet.GreenPool()
    waiting = [pool.spawn(batcher.record, click(n), tracking.record_clicks) for n in range(3)]
    for green in waiting:
        with pytest.raises(ServiceUnavailable):
            green.wait()


def test_without_batching_each_click_is_its_own_call():
    tracking, batcher = Tracking(), ClickBatcher(max_batch=1)
    assert batcher.record(click(1), tracking.record_clicks)["click_id"] == "id-10.0.0.1"
    assert tracking.batches == [[click(1)]]
