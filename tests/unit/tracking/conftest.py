"""The tracking use cases on in-memory fakes: a unit of work, a clock at ``NOW`` and a
bus; a module sets its fraud rules and waits by overriding ``settings``."""
import pytest

from common.seedwork.application.bus import MessageBus
from services.tracking.application.handlers import HANDLERS
from services.tracking.application.settings import TrackingSettings
from tests.clock import Clock
from tests.unit.tracking.builders import NOW
from tests.unit.tracking.fakes import fake_uow


@pytest.fixture
def settings():
    return TrackingSettings()


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def bus(uow, clock, settings):
    return MessageBus(uow, HANDLERS, {"clock": clock, "settings": settings})
