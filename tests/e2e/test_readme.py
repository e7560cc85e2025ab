"""The README's `nameko shell` snippet works exactly as written against `nameko run`."""
import os
import re
import subprocess

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
