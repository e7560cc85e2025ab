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

_SHARED: dict = {}


def _platform_scope(fixture_name, config) -> str:
    """Bounded (CI): one platform for the whole layer, healed between modules. Long form:
    a fresh platform per module, since its heavier traffic (5,000 conversions through a
    broker cut...) is more than a heal should be trusted to clear."""
    return "module" if LONG else "session"


@pytest.fixture(scope=_platform_scope)
def platform():
    """Every service (see tests/reliability/platform.py); each module builds its own
    brands, partners and campaigns. Four delivery attempts: a campaigns restart on a
    loaded CI machine must fit inside the retries (each attempt may wait the 3 s RPC
    timeout)."""
    from tests.reliability.platform import Platform

    running = Platform(extra_env={"EVENT_RETRY_MAX_ATTEMPTS": "4"}).start()
    _SHARED["platform"] = running
    yield running
    _SHARED.pop("platform", None)
    running.stop()


@pytest.fixture(autouse=True, scope="module")
def _heal_shared_platform():
    """After each module, undo whatever faults it left on the shared platform."""
    yield
    running = _SHARED.get("platform")
    if running is not None:
        running.heal()



# --- progress: what `make chaos` is doing while it does it --------------------------------
# Each scenario's start: its place among this layer's scenarios, the time elapsed and the
# time left (from the durations the previous run of the same form took), and its own
# expected time. When stdout is a terminal, or ALPES_PROGRESS=1, a bar too and a second
# line with how long it took; otherwise (CI logs) one plain line per scenario
# (ALPES_PROGRESS=0 forces that). pytest's own summary closes the run as before. The
# durations are kept in var/ (git-ignored).
import json  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

DURATIONS_FILE = pathlib.Path(__file__).resolve().parents[2] / "var" / "reliability-durations.json"


def _progress_live() -> bool:
    setting = os.environ.get("ALPES_PROGRESS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    return sys.stdout.isatty()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0, int(round(seconds))), 60)
    return f"{minutes}:{secs:02d}"


class ScenarioProgress:
    def __init__(self, config, nodeids: list[str], live: bool, durations_file=DURATIONS_FILE):
        self.config = config
        self.items = nodeids
        self.form = "long" if LONG else "bounded"
        self.durations_file = durations_file
        self.known: dict[str, float] = self._load().get(self.form, {})
        self.live = live
        self.began: float | None = None
        self.took: dict[str, float] = {}
        self._spent: dict[str, float] = {}
        self._outcome: dict[str, str] = {}

    # pytest's side ---------------------------------------------------------------------
    def start(self, nodeid: str) -> None:
        if nodeid not in self.items:
            return
        now = time.monotonic()
        self.began = self.began or now
        n = self.items.index(nodeid) + 1
        head = f"chaos [{n:>{len(str(len(self.items)))}}/{len(self.items)}]"
        if self.live:
            done = int(20 * (n - 1) / len(self.items))
            head += f" [{'#' * done}{'.' * (20 - done)}]"
        expected = self.known.get(nodeid)
        expected_text = f"~{_clock(expected)}" if expected else "unknown"
        self._write(f"{head} {_clock(now - self.began)} elapsed, {self._left()}: "
                    f"{_short(nodeid)} (expected {expected_text})")

    def report(self, report) -> None:
        """Setup, call and teardown add up to the scenario's time; teardown ends it."""
        nodeid = report.nodeid
        if nodeid not in self.items:
            return
        self._spent[nodeid] = self._spent.get(nodeid, 0.0) + report.duration
        if report.failed or report.skipped:
            self._outcome.setdefault(nodeid, report.outcome)
        if report.when == "teardown":
            self._finish(nodeid, self._outcome.pop(nodeid, "passed"), self._spent.pop(nodeid))

    # -----------------------------------------------------------------------------------
    def _finish(self, nodeid: str, outcome: str, seconds: float) -> None:
        self.took[nodeid] = round(seconds, 1)
        self._save()
        if self.live:
            expected = self.known.get(nodeid)
            self._write(f"chaos {_short(nodeid)} {outcome} in {_clock(seconds)}"
                        + (f" (expected ~{_clock(expected)})" if expected else ""))

    def _left(self) -> str:
        """What the scenarios not finished yet took last time."""
        pending = [nodeid for nodeid in self.items if nodeid not in self.took]
        known = [self.known[nodeid] for nodeid in pending if nodeid in self.known]
        if not known:
            return "time left unknown (no earlier run)"
        unknown = len(pending) - len(known)
        return f"~{_clock(sum(known))} left" + (f" (+{unknown} never timed)" if unknown else "")

    def _load(self) -> dict:
        try:
            return json.loads(self.durations_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        try:
            saved = self._load()
            saved[self.form] = {**saved.get(self.form, {}), **self.took}
            self.durations_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.durations_file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(saved, indent=1, sort_keys=True))
            temporary.replace(self.durations_file)
        except OSError:
            pass  # progress is a convenience: never a reason to fail a run

    def _write(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            print(line, flush=True)
            return
        writer = getattr(reporter, "_tw", None)  # after pytest's dots: a line of its own
        if writer is not None and getattr(writer, "width_of_current_line", 0):
            writer.line()
        reporter.write_line(line)


def _short(nodeid: str) -> str:
    return nodeid.rpartition("/")[2]


_PROGRESS: dict = {}


def pytest_collection_modifyitems(session, config, items):
    here = pathlib.Path(__file__).resolve().parent
    mine = [item.nodeid for item in items if here in pathlib.Path(item.path).resolve().parents]
    _PROGRESS["tracker"] = ScenarioProgress(config, mine, _progress_live())


def pytest_runtest_logstart(nodeid, location):
    if "tracker" in _PROGRESS:
        _PROGRESS["tracker"].start(nodeid)


def pytest_runtest_logreport(report):
    if "tracker" in _PROGRESS:
        _PROGRESS["tracker"].report(report)
