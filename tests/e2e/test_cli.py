"""``alpes`` against the real broker and services: exit codes and messages as an operator
meets them, and the first five minutes (`make run` failing loudly, no eventlet noise)."""
import os
import socket
import subprocess
import uuid

from nameko.testing.utils import find_free_port

from tests.e2e.conftest import BIN, ROOT


def alpes(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "alpes"), *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def test_run_exits_1_when_a_service_cannot_start(e2e_env):
    """The first-five-minutes case: port 8000 taken. `make run` said `start-up failed: bff
    exited with 1` and exited 0; now it exits 1 (and the eventlet notice is gone)."""
    port = find_free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = alpes({**e2e_env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                        "ALPES_JWT_SECRET": uuid.uuid4().hex * 2}, "run", "bff")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "start-up failed: bff exited with 1" in result.stderr
    assert "all services stopped; the platform did not run cleanly (exit 1)." in result.stdout
    assert "Eventlet is deprecated" not in result.stdout + result.stderr


def test_a_service_that_does_not_run_is_exit_3(e2e_env):
    result = alpes(e2e_env, "payouts", "list")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "error: the payouts service is not running (start it: make run)")


def test_refusals_are_exit_1_with_one_line_per_field(start_stack, e2e_env):
    start_stack("partners")
    invalid = alpes(e2e_env, "partners", "verify", "not-a-uuid")
    assert invalid.returncode == 1, invalid.stderr
    assert invalid.stderr.splitlines() == [
        "error: partners.verify_partner refused the input: The input is invalid.",
        "  partner_id: Not a valid id (UUID)."]
    unknown = alpes(e2e_env, "partners", "suspend", str(uuid.uuid4()), "--reason", "audit")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: partners.suspend_partner refused (not_found): ")
    assert "Traceback" not in invalid.stderr + unknown.stderr


def test_dead_letters_list_reads_every_service_queue(e2e_env):
    result = alpes(e2e_env, "dead-letters", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]" and result.stderr == ""
