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


@pytest.fixture(scope="module")
def platform():
    """Every service, once per test module (see tests/reliability/platform.py)."""
    from tests.reliability.platform import Platform

    running = Platform().start()
    yield running
    running.stop()
