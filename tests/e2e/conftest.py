"""End-to-end: services run as `make run` runs them, driven through `nameko shell`, RPC
and HTTP as a user would."""
from tests.stack_fixtures import (  # noqa: F401  (fixtures)
    BIN,
    ROOT,
    config_for,
    e2e_env,
    event_probe,
    run_tool,
    start_stack,
)
