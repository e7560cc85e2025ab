"""Reliability scenarios: real services as processes, faults injected, outcomes counted.

CI runs a bounded version of every scenario; ``make chaos`` sets ALPES_CHAOS=long for the
long form (more traffic, longer faults).
"""
import os

import pytest

LONG = os.environ.get("ALPES_CHAOS") == "long"


def scale(bounded: int, long: int) -> int:
    return long if LONG else bounded


@pytest.fixture
def vhost(rabbit_config):
    return rabbit_config["vhost"]


from tests.stack_fixtures import config_for, e2e_env, event_probe, start_stack  # noqa: E402,F401

_SHARED: dict = {}


def _platform_scope(fixture_name, config) -> str:
    """Bounded (CI): one platform for the whole layer, healed between modules. Long form:
    a fresh platform per module, since its heavier traffic (5,000 conversions through a
    broker cut...) is more than a heal should be trusted to clear."""
    return "module" if LONG else "session"


@pytest.fixture(scope=_platform_scope)
def platform():
    """Every service (see tests/reliability/platform.py); each module builds its own
    brands, partners and campaigns. Four delivery attempts: a campaigns restart on a
    loaded CI machine must fit inside the retries (each attempt may wait the 3 s RPC
    timeout)."""
    from tests.reliability.platform import Platform

    running = Platform(extra_env={"EVENT_RETRY_MAX_ATTEMPTS": "4"}).start()
    _SHARED["platform"] = running
    yield running
    _SHARED.pop("platform", None)
    running.stop()


@pytest.fixture(autouse=True, scope="module")
def _heal_shared_platform():
    """After each module, undo whatever faults it left on the shared platform."""
    yield
    running = _SHARED.get("platform")
    if running is not None:
        running.heal()
