"""Fixtures that run services as `make run` runs them (`nameko run` processes), on a
fresh vhost and fresh SQLite files: shared by the e2e and reliability layers."""
import os
import pathlib
import subprocess
import sys

import pytest

from common.nameko.config import load_config
from tests.observability import free_port_block
from tests.support import EventProbe
from tools.stack import Stack

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent


@pytest.fixture
def e2e_env(rabbit_config, tmp_path):
    env = {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DB_PREFIX": f"sqlite:///{tmp_path}/",
        "DB_SUFFIX": ".db",
        "OUTBOX_SWEEP_INTERVAL": "0.3",
        "OUTBOX_GRACE_SECONDS": "0.5",
        "EVENT_RETRY_INITIAL_DELAY_MS": "100",
        "RPC_TIMEOUT_SECONDS": "5",
        "LOG_LEVEL": "INFO",
        # each stack its own /metrics ports: never a developer's `make run` (9400...)
        "METRICS_PORT_BASE": str(free_port_block(10)),
        "IDENTITY_MAIL_URL": f"maildir:{tmp_path}/mail",  # the emails a user would read
        "BFF_CLICK_JOURNAL_DIR": f"{tmp_path}/clicks",  # what a killed BFF leaves, per stack
    }
    run_tool(env, "migrate")
    run_tool(env, "topology")
    return env


def run_tool(env: dict, *args: str) -> str:
    """``alpes --config config.yaml <args>`` as an operator runs it; its stdout."""
    result = subprocess.run([str(BIN / "alpes"), "--config", "config.yaml", *args],
                            cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def config_for(env: dict) -> dict:
    previous = dict(os.environ)
    os.environ.update(env)
    try:
        return load_config(str(ROOT / "config.yaml"))
    finally:
        os.environ.clear()
        os.environ.update(previous)


@pytest.fixture
def start_stack(e2e_env, tmp_path):
    stacks = []

    def start(*services: str, extra_env: dict | None = None) -> Stack:
        stack = Stack(list(services), env={**e2e_env, **(extra_env or {})},
                      log_dir=tmp_path / "logs")
        stacks.append(stack)
        stack.start(timeout=60)
        return stack

    yield start
    for stack in stacks:
        stack.stop()


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
