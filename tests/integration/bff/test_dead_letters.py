"""Admins list and replay dead letters over HTTP (``common.nameko.dead_letters``)."""
from __future__ import annotations

import uuid

from kombu import Connection, Exchange, Queue
from kombu.simple import SimpleQueue

from common.nameko.events import (
    H_ATTEMPT,
    H_DEAD_LETTER_ID,
    H_ERROR,
    H_ERROR_TYPE,
    H_HANDLER,
    H_QUEUE,
    H_TRACEBACK,
    dead_letter_queue_name,
)

HANDLER_QUEUE = "evt-partners-partner_registered--audit.on_partner_registered"


def dead_letter(amqp_uri: str) -> str:
    dead_letter_id = str(uuid.uuid4())
    with Connection(amqp_uri) as connection:
        for name in (HANDLER_QUEUE, dead_letter_queue_name("partners")):
            Queue(name, durable=True)(connection.default_channel).declare()
        producer = connection.Producer(serializer="json")
        producer.publish({"event_id": "e-1", "type": "partner_registered", "payload": {}},
                         exchange=Exchange(""), routing_key=dead_letter_queue_name("partners"),
                         headers={H_DEAD_LETTER_ID: dead_letter_id, H_QUEUE: HANDLER_QUEUE,
                                  H_HANDLER: "audit.on_partner_registered", H_ATTEMPT: 3,
                                  H_ERROR: "RuntimeError: the ledger refused",
                                  H_ERROR_TYPE: "RuntimeError",
                                  H_TRACEBACK: 'Traceback (most recent call last):\n  File '
                                               '"/srv/services/audit.py", line 3'})
    return dead_letter_id


def test_list_hides_internals_and_replay_returns_it_to_its_handler(start_bff):
    api = start_bff()
    amqp_uri = api.config["AMQP_URI"]
    dead_letter_id = dead_letter(amqp_uri)
    listed = api.get("/api/v1/admin/dead-letters?service=partners", api.admin())
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == dead_letter_id and item["error"] == "the ledger refused"
    assert "Traceback" not in listed.text and "RuntimeError" not in listed.text
    assert api.post(f"/api/v1/admin/dead-letters/{uuid.uuid4()}/replay",
                    api.admin()).status_code == 404
    replayed = api.post(f"/api/v1/admin/dead-letters/{dead_letter_id}/replay", api.admin())
    assert replayed.status_code == 200 and replayed.json()["replayed"][0]["id"] == dead_letter_id
    with Connection(amqp_uri) as connection:
        queue = SimpleQueue(connection, HANDLER_QUEUE)
        message = queue.get(timeout=5)
        assert message.payload["event_id"] == "e-1"
        message.ack()
        queue.close()
    assert api.get("/api/v1/admin/dead-letters", api.admin()).json()["items"] == []
    assert api.get("/api/v1/admin/dead-letters?service=nope",
                   api.admin()).status_code == 422
