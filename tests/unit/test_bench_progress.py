"""Progress of long runs (`make bench`, `make chaos`): the plan's arithmetic and the plain
rendering CI logs get (the live bar is rich's)."""
import io
import json
import types

from bench.progress import Progress, Step, clock, live_wanted
from bench.run import FULL, SMOKE, run_plan, shortened
from bench.scenarios import ALL


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _progress(plan, stream=None):
    ticks = _Clock()
    return Progress("bench", plan, live=False, stream=stream or io.StringIO(), now=ticks), ticks


def test_time_left_is_the_plan_still_ahead_plus_what_the_current_step_has_left():
    progress, ticks = _progress([Step("a", "one", 10), Step("a", "two", 20), Step("b", "x", 30)])
    assert progress.remaining() == 60
    progress.step("a", "one")
    ticks.now += 4
    assert progress.remaining() == 6 + 20 + 30
    ticks.now += 10  # over its plan: the step has nothing left, the rest is still ahead
    assert progress.remaining() == 50
    progress.step("a", "two")
    assert progress.remaining() == 50 and round(progress.fraction(), 3) == round(14 / 64, 3)


def test_each_step_is_one_plain_line_and_records_planned_and_actual_seconds():
    stream = io.StringIO()
    progress, ticks = _progress([Step("floors", "rpc echo c=1", 12), Step("memory", "rss", 1)],
                                stream)
    progress.step("floors", "rpc echo c=1")
    ticks.now += 13
    progress.step("http_bff", "something new")
    ticks.now += 2
    progress.step("memory", "rss")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "bench [1/2] 0:00 elapsed, ~0:13 left: floors › rpc echo c=1 (~12 s)"
    assert lines[1].startswith("bench [?/2] 0:13 elapsed") and "(not planned)" in lines[1]
    assert lines[2].startswith("bench [2/2] 0:15 elapsed, ~0:01 left: memory › rss")
    assert lines[3] == "bench: done in 0:15 (planned ~0:13)"
    assert [(r["label"], r["planned"], r["actual_s"]) for r in progress.records] == [
        ("rpc echo c=1", True, 13.0), ("something new", False, 2.0), ("rss", True, 0.0)]


def test_the_bar_is_drawn_on_terminals_or_when_asked_and_never_when_refused():
    tty, pipe = _Tty(), io.StringIO()
    assert live_wanted({}, tty, tty) is True
    assert live_wanted({}, pipe, tty) is False
    assert live_wanted({"ALPES_PROGRESS": "1"}, pipe, pipe) is True
    assert live_wanted({"ALPES_PROGRESS": "0"}, tty, tty) is False


def test_clock_reads_minutes_and_hours():
    assert (clock(0), clock(61.4), clock(3725)) == ("0:00", "1:01", "1:02:05")


def test_every_scenario_is_planned_and_the_full_run_is_planned_near_its_usual_length():
    steps = run_plan(FULL, ALL)
    assert {step.group for step in steps} >= {scenario.__name__ for scenario in ALL}
    assert len({step.key for step in steps}) == len(steps)  # one place per step
    assert 10 * 60 < sum(step.expected for step in steps) < 20 * 60
    assert sum(step.expected for step in run_plan(SMOKE, ALL)) < 3 * 60


def test_the_second_instance_steps_are_planned_on_postgresql_only():
    second = {"start a second tracking instance", "capacity, 2 tracking instances",
              "tracking.record_conversion c=16, 1 instance",
              "start second instances of tracking and commissions",
              "tracking.record_conversion c=16, 2 instances"}
    postgres = run_plan(FULL, ALL, "postgres")
    assert second <= {step.label for step in postgres}
    assert len({step.key for step in postgres}) == len(postgres)
    assert not second & {step.label for step in run_plan(FULL, ALL, "sqlite")}
    assert [step.group for step in postgres if step.label in second] == [
        "conversion_commands"] * 3 + ["ingestion"] * 2
    assert 10 * 60 < sum(step.expected for step in postgres) < 20 * 60


def test_a_shortened_run_is_labelled_and_shorter():
    short = shortened(FULL, 2.0)
    assert short.mode == "short" and short.point == 2.0 and short.chain_seconds == 6.0
    assert sum(s.expected for s in run_plan(short, ALL)) < sum(
        s.expected for s in run_plan(FULL, ALL)) / 2


# --- make chaos ---------------------------------------------------------------------------
IDS = ["tests/reliability/test_a.py::test_one", "tests/reliability/test_b.py::test_two"]


def _chaos(tmp_path, live, durations=None):
    from tests.reliability.conftest import LONG, ScenarioProgress

    path = tmp_path / "durations.json"
    if durations is not None:
        path.write_text(json.dumps({"long" if LONG else "bounded": durations}))
    lines = []
    reporter = types.SimpleNamespace(write_line=lines.append)
    config = types.SimpleNamespace(pluginmanager=types.SimpleNamespace(
        get_plugin=lambda name: reporter))
    return ScenarioProgress(config, IDS, live, durations_file=path), IDS, lines, path


def _reports(nodeid, outcome="passed"):
    for when, seconds in (("setup", 5.0), ("call", 20.0), ("teardown", 1.0)):
        yield types.SimpleNamespace(nodeid=nodeid, when=when, duration=seconds,
                                    failed=outcome == "failed" and when == "call",
                                    skipped=False, outcome=outcome if when == "call" else "passed")


def test_chaos_says_each_scenarios_place_and_times_and_keeps_durations_for_next_time(tmp_path):
    tracker, ids, lines, path = _chaos(tmp_path, live=False,
                                       durations={IDS[0]: 30.0, IDS[1]: 90.0})
    tracker.start(ids[0])
    for report in _reports(ids[0], "failed"):
        tracker.report(report)
    tracker.start(ids[1])
    assert len(lines) == 2  # plain: one line per scenario
    assert lines[0].startswith("chaos [1/2] 0:00 elapsed, ~2:00 left: test_a.py::test_one")
    assert lines[0].endswith("(expected ~0:30)")
    assert "~1:30 left: test_b.py::test_two (expected ~1:30)" in lines[1]
    assert json.loads(path.read_text())[tracker.form][ids[0]] == 26.0


def test_chaos_on_a_terminal_draws_a_bar_and_says_how_each_ended(tmp_path):
    tracker, ids, lines, _ = _chaos(tmp_path, live=True)
    tracker.start(ids[0])
    for report in _reports(ids[0], "failed"):
        tracker.report(report)
    assert "[1/2] [....................]" in lines[0] and "time left unknown" in lines[0]
    assert lines[1] == "chaos test_a.py::test_one failed in 0:26"
