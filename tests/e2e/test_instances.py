"""More than one instance of a service: refused on SQLite with a clear message (its
writers would wait for each other inside SQLite); PostgreSQL runs them side by side
(tests/reliability/test_instances.py kills them under load)."""
from tests.support import wait_for
from tools.stack import Stack


def test_a_second_instance_on_sqlite_is_refused_with_a_clear_message(e2e_env, tmp_path):
    """Whichever process claims the database second exits with 1 and says why; the other
    serves. Judged by the processes themselves, not by the broker's consumer count (a
    reconnect under load can show a dead connection's consumer for a while)."""
    stack = Stack(["partners"], env=e2e_env, log_dir=tmp_path / "logs", instances=2)
    try:
        stack.start(wait=False)
        [refused] = wait_for(lambda: [name for name, process in stack.processes.items()
                                      if not process.running], timeout=60,
                             message="one instance to be refused")
        [serving] = [name for name in stack.processes if name != refused]
        stack.wait_ready([serving])
        assert stack.processes[refused].process.returncode == 1
        assert stack.processes[serving].running
    finally:
        stack.stop()
    log = (tmp_path / "logs" / f"{refused}.log").read_text()
    assert "SQLite runs one instance per service" in log
    assert "DB=postgres INSTANCES=2" in log
    assert "SQLite runs one instance" not in (tmp_path / "logs" / f"{serving}.log").read_text()
