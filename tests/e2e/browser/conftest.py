"""Browser tests: the web front end driven in headless Chromium by Playwright.

Debian's Chromium (`/usr/bin/chromium`, installed by `make test`'s setup when missing:
scripts/ensure_browser.sh) is driven through Playwright for Python; Playwright's own
browser download is never used. The services run as `make run` runs them (`nameko run`
processes, tests/stack_fixtures.py), with fast timers from the environment; the browser
steps run in a child process (``driver.py`` says why).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from nameko.testing.utils import find_free_port

from tests.e2e.conftest import (  # noqa: F401  (fixtures)
    BIN,
    ROOT,
    e2e_env,
    event_probe,
    run_tool,
    start_stack,
)
from tests.support import wait_for

CHROMIUM = os.environ.get("ALPES_CHROMIUM", "/usr/bin/chromium")


def drive(scenario: str, spec: dict, timeout: float = 120) -> dict:
    """Run a scenario of ``driver.py`` in a child process (no eventlet there); its
    answer, or the test fails with the browser side's output."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's `chromium` "
                    "(scripts/ensure_browser.sh), or set ALPES_CHROMIUM")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    try:
        done = subprocess.run([sys.executable, "-W", "ignore", "-m",
                               "tests.e2e.browser.driver", scenario],
                              input=json.dumps(spec), cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as late:
        pytest.fail(f"the browser scenario {scenario} took over {timeout}s:\n"
                    f"{(late.stderr or b'')[-8000:]!r}")
    if done.returncode != 0:
        pytest.fail(f"the browser scenario {scenario} failed:\n{done.stderr[-12000:]}",
                    pytrace=False)
    return json.loads(done.stdout.strip().splitlines()[-1])


def create_admin(env: dict, email: str, password: str) -> None:
    """The documented operator command, the password on standard input."""
    result = subprocess.run(
        [str(BIN / "alpes"), "--config", "config.yaml", "users", "create-admin", "--email",
         email, "--password-stdin"], input=password + "\n", cwd=ROOT,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def landing_site(tmp_path):
    """The brand's shop: a local page a referral link lands on (it shows the click id
    the redirect appended, as a shop would keep it for its order postback)."""
    root = tmp_path / "shop"
    root.mkdir()
    (root / "spring.html").write_text(textwrap.dedent("""\
        <!doctype html><html lang="en"><head><meta charset="utf-8">
        <title>Acme spring sale</title></head>
        <body><h1>Acme spring sale</h1><p>Welcome to the shop.</p></body></html>
        """))
    (root / "jacket.html").write_text(textwrap.dedent("""\
        <!doctype html><html lang="en"><head><meta charset="utf-8">
        <title>Acme rain jacket</title></head>
        <body><h1>Acme rain jacket</h1><p>A page a deep link lands on.</p></body></html>
        """))
    port = find_free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: _answers(port), timeout=10, message="the shop's server")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)



def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
