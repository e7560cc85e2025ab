"""The README's shell session, HTTP walkthrough and operator commands run as written --
twice in a row on the same platform -- and print exactly what the README says."""
import datetime
import os
import re
import subprocess
import uuid

from nameko.testing.utils import find_free_port

from tests.e2e.conftest import BIN, ROOT
from tests.observability import scrape, value


def readme_block(marker: str, language: str) -> str:
    """The fenced block right after ``<!-- e2e:<marker> ``."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(f"<!-- e2e:{marker} "):]
    return re.search(rf"```{language}\n(.*?)```", after, re.S).group(1)


def readme_prints(marker: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    after = text[text.index(f"<!-- e2e:{marker} -->"):]
    return re.search(r"```text\n(.*?)```", after, re.S).group(1).splitlines()


def test_readme_shell_session_runs_twice(start_stack, e2e_env):
    start_stack("partners")
    for attempt in (1, 2):
        result = subprocess.run(
            [str(BIN / "alpes"), "shell"], input=readme_block("partners-shell", "python"),
            cwd=ROOT, env={**os.environ, **e2e_env}, capture_output=True, text=True,
            timeout=60)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, (attempt, output)
        assert "Eventlet is deprecated" not in output
        echoed = [chunk.strip() for chunk in result.stdout.split(">>> ") if chunk.strip()]
        assert echoed[-3:] == ["'VERIFIED'", "'ACTIVE'", "'ACTIVE'"], (attempt, result.stdout)


def test_readme_http_walkthrough_and_operator_commands_run_twice(start_stack, e2e_env):
    """The README's curl session, then its `alpes` commands, with bash, against every
    service as `make run` runs them; the second run prints the same as the first."""
    port = find_free_port()
    secret = f"readme-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    start_stack("partners", "campaigns", "tracking", "commissions", "payouts", "bff",
                extra_env={"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                           "ALPES_JWT_SECRET": secret, "BFF_TRUST_FORWARDED_FOR": "true"})
    script = readme_block("http-walkthrough", "bash") + readme_block("operator-cli", "bash")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    expected = readme_prints("http-walkthrough-prints") + [
        line.replace("<today>", today) for line in readme_prints("operator-cli-prints")]
    for attempt in (1, 2):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT,
            env={**os.environ, **e2e_env, "ALPES_JWT_SECRET": secret,
                 "API": f"http://127.0.0.1:{port}"},
            capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, (attempt, result.stdout + result.stderr)
        assert result.stdout.splitlines() == expected, (attempt, result.stdout, result.stderr)
        assert "Eventlet is deprecated" not in result.stderr
        # each walkthrough: 1 click, 1 conversion attributed, 1 commission created (metrics)
        metrics = "http://127.0.0.1:{}/metrics"
        base = int(e2e_env["METRICS_PORT_BASE"])
        tracking, commissions = (scrape(metrics.format(base + offset)) for offset in (3, 4))
        assert value(tracking, "alpes_clicks_total", reason="none") == attempt
        assert value(tracking, "alpes_conversions_total", outcome="attributed") == attempt
        assert value(commissions, "alpes_commissions_total", outcome="created") == attempt
        assert value(tracking, "alpes_rpc_server_duration_seconds_count",
                     method="record_conversion") == attempt
