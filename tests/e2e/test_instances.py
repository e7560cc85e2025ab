"""More than one instance of a service: refused on SQLite with a clear message (its
writers would wait for each other inside SQLite); PostgreSQL runs them side by side
(tests/reliability/test_instances.py kills them under load)."""
import pytest

from tools.stack import Stack


def test_a_second_instance_on_sqlite_is_refused_with_a_clear_message(e2e_env, tmp_path):
    stack = Stack(["partners"], env=e2e_env, log_dir=tmp_path / "logs", instances=2)
    try:
        with pytest.raises(RuntimeError, match=r"partners(-2)? exited with 1"):
            stack.start(timeout=60)
    finally:
        stack.stop()
    logs = [(tmp_path / "logs" / f"{name}.log").read_text()
            for name in ("partners", "partners-2")]
    refused = [log for log in logs if "SQLite runs one instance per service" in log]
    assert len(refused) == 1  # whichever started second; the first one served
    assert "DB=postgres INSTANCES=2" in refused[0]
