"""``topology.declare``: every handler's queue before anything publishes, and the queues
of retired handlers deleted (else, still bound, they would collect events for ever)."""
from kombu import Connection

from common.nameko import topology
from common.nameko.discovery import service_classes
from common.nameko.events import handler_queue_name


def queue_exists(amqp_uri: str, name: str) -> bool:
    with Connection(amqp_uri) as conn:
        try:
            conn.channel().queue_declare(queue=name, passive=True)
        except Exception:
            return False
        return True


def test_declare_creates_every_handler_queue_and_deletes_retired_ones(rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    retired = handler_queue_name(*topology.RETIRED[0])
    with Connection(amqp) as conn:  # a broker that ran the old handler
        conn.channel().queue_declare(queue=retired, durable=True, auto_delete=False)
    declared = topology.declare(rabbit_config, service_classes())
    assert declared and all(queue_exists(amqp, name) for name in declared)
    assert not queue_exists(amqp, retired)
    assert topology.retire(amqp) == []  # nothing left to retire: idempotent
