import pytest

from tests.support import EventProbe


@pytest.fixture
def event_probe(rabbit_config):
    probes = []

    def make(source: str, routing_key: str = "#") -> EventProbe:
        probe = EventProbe(rabbit_config["AMQP_URI"], source, routing_key)
        probes.append(probe)
        return probe

    yield make
    for probe in probes:
        probe.close()
