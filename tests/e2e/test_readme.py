"""The README's `nameko shell` snippet works exactly as written against `nameko run`."""
import json
import os
import re
import subprocess
import uuid
from decimal import Decimal

from nameko.testing.utils import find_free_port

from tests.e2e.conftest import BIN, ROOT

MARKER = "<!-- e2e:partners-shell"


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    after = text[text.index(MARKER):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_readme_shell_session_registers_verifies_and_activates(start_stack, e2e_env):
    start_stack("partners")
    result = subprocess.run(
        [str(BIN / "nameko"), "shell", "--config", "config.yaml"],
        input=readme_snippet(), cwd=ROOT, env={**os.environ, **e2e_env},
        capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    echoed = [chunk.strip() for chunk in result.stdout.split(">>> ") if chunk.strip()]
    assert echoed[-4:] == ["'VERIFIED'", "'ACTIVE'", "'ACTIVE'", "1"], result.stdout


HTTP_MARKER = "<!-- e2e:http-walkthrough"


def readme_http_walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    after = text[text.index(HTTP_MARKER):]
    return re.search(r"```bash\n(.*?)```", after, re.S).group(1)


def test_readme_http_walkthrough_runs_as_written(start_stack, e2e_env):
    """The README's curl session, with bash, against every service as `make run` runs them."""
    port = find_free_port()
    secret = f"readme-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    start_stack("partners", "campaigns", "tracking", "commissions", "payouts", "bff",
                extra_env={"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                           "ALPES_JWT_SECRET": secret, "BFF_TRUST_FORWARDED_FOR": "true"})
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_http_walkthrough()], cwd=ROOT,
        env={**os.environ, **e2e_env, "ALPES_JWT_SECRET": secret,
             "API": f"http://127.0.0.1:{port}"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[:3] == ['"ACTIVE"', '"ACTIVE"', '"ATTRIBUTED"'], result.stdout
    assert re.fullmatch(r"20\.00 USD (PENDING|APPROVED)", lines[3]), result.stdout
    balance = json.loads(lines[4])
    assert balance["currency"] == "USD"
    assert Decimal(balance["pending"]) + Decimal(balance["approved"]) == Decimal("20.00")
