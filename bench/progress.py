"""What a long run is doing while it does it: the step, elapsed and expected time.

A run announces a **plan** up front (every step it will take, with the seconds each is
expected to last) and then each step as it starts. Two renderings, on stderr (stdout
keeps the final table):

* **live** -- a `rich` progress bar over the expected time, redrawn twice a second:
  ``bench [ 7/45] ━━━━━━╸━━━━━━ 3:12 elapsed, ~9:20 left floors › rpc write c=16 (4 s/~12 s)``
  when stdout and stderr are terminals, or ``ALPES_PROGRESS=1`` whatever they are;
* **plain** -- one line per step, for CI logs and pipes (``ALPES_PROGRESS=0`` forces it):
  ``bench [ 7/45] 3:12 elapsed, ~9:20 left: floors › rpc write c=16 (~12 s)``.

The time left is re-estimated at every step: the planned seconds of the steps to come,
plus what the current step still has of its own. Each step's planned and measured
seconds are kept (``records``): the JSON result carries them, so plans can be checked
against what runs took.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterable
from typing import TextIO

ENV = "ALPES_PROGRESS"


@dataclasses.dataclass(frozen=True)
class Step:
    group: str      # the scenario (or phase) the step belongs to
    label: str      # the point it measures, as the report names it
    expected: float  # seconds

    @property
    def key(self) -> tuple[str, str]:
        return self.group, self.label


def live_wanted(environ: dict | None = None, stdout: TextIO | None = None,
                stderr: TextIO | None = None) -> bool:
    """A redrawn progress bar: ``ALPES_PROGRESS=1``, or both streams are terminals (and
    ``ALPES_PROGRESS`` is not ``0``)."""
    setting = (environ if environ is not None else os.environ).get(ENV, "").strip()
    if setting in ("1", "0"):
        return setting == "1"
    return all(_isatty(stream) for stream in (stdout or sys.stdout, stderr or sys.stderr))


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour)."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    def __init__(self, name: str, plan: Iterable[Step], *, live: bool | None = None,
                 stream: TextIO | None = None, now=time.monotonic):
        self.name = name
        self.plan = list(plan)
        self._index = {step.key: n for n, step in enumerate(self.plan)}
        self._now = now
        self.stream = stream or sys.stderr
        self.live = live_wanted() if live is None else live
        self.records: list[dict] = []
        self.began = now()
        self._current: Step | None = None
        self._current_n: int | None = None  # its position in the plan (None: unplanned)
        self._current_began = self.began
        self._done_planned: set[int] = set()
        self._closed = False
        self._display = None
        if self.live:
            try:
                self._display = _LiveDisplay(self)
            except ImportError:  # rich is a dev dependency: without it, plain lines
                self.live = False

    # the run's side ----------------------------------------------------------------------
    def step(self, group: str, label: str) -> None:
        """``group › label`` starts now (the previous step, if any, is over)."""
        self._finish_current()
        n = self._index.get((group, label))
        planned = self.plan[n] if n is not None else None
        self._current = planned or Step(group, label, 0.0)
        self._current_n = n
        self._current_began = self._now()
        if self._display is not None:
            self._display.update()
        else:
            expected = f"~{_seconds(planned.expected)}" if planned else "not planned"
            print(f"{self.name} {self.position()} {self.elapsed_text()}: "
                  f"{group} › {label} ({expected})", file=self.stream, flush=True)

    def close(self, finished: bool = True) -> None:
        """The run is over (or stopped): the last step ends, the bar goes, and a closing
        line says how long it took."""
        if self._closed:
            return
        self._closed = True
        self._finish_current()
        if self._display is not None:
            self._display.stop()
        how = "done in" if finished else "stopped after"
        print(f"{self.name}: {how} {clock(self.elapsed())} "
              f"(planned ~{clock(sum(step.expected for step in self.plan))})",
              file=self.stream, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        self.close(finished=exc_type is None)

    # figures -----------------------------------------------------------------------------
    def elapsed(self) -> float:
        return self._now() - self.began

    def step_elapsed(self) -> float:
        return self._now() - self._current_began if self._current else 0.0

    def remaining(self) -> float:
        """Planned seconds of the steps not started yet, plus what the current step has
        left of its own plan."""
        upcoming = sum(step.expected for n, step in enumerate(self.plan)
                       if n not in self._done_planned and n != self._current_n)
        current = (max(0.0, self._current.expected - self.step_elapsed())
                   if self._current else 0.0)
        return upcoming + current

    def fraction(self) -> float:
        elapsed = self.elapsed()
        total = elapsed + self.remaining()
        return min(1.0, elapsed / total) if total > 0 else 1.0

    def position(self) -> str:
        width = len(str(len(self.plan)))
        n = "?" if self._current_n is None else self._current_n + 1
        return f"[{n:>{width}}/{len(self.plan)}]"

    def elapsed_text(self) -> str:
        return f"{clock(self.elapsed())} elapsed, ~{clock(self.remaining())} left"

    # -------------------------------------------------------------------------------------
    def _finish_current(self) -> None:
        if self._current is None:
            return
        if self._current_n is not None:
            self._done_planned.add(self._current_n)
        self.records.append({
            "group": self._current.group, "label": self._current.label,
            "planned": self._current_n is not None,
            "expected_s": round(self._current.expected, 1),
            "actual_s": round(self.step_elapsed(), 1)})
        self._current = None
        self._current_n = None


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 120 else clock(value)


class _LiveDisplay:
    """rich's progress bar, over the expected time of the whole run, then the step (cut
    to the terminal's width)."""

    def __init__(self, progress: Progress):
        from rich.console import Console
        from rich.progress import Progress as RichProgress
        from rich.progress import ProgressColumn
        from rich.progress_bar import ProgressBar
        from rich.table import Column
        from rich.text import Text

        owner = progress

        class _Position(ProgressColumn):
            def render(self, task):
                return Text(f"{owner.name} {owner.position()}")

        class _Bar(ProgressColumn):
            def render(self, task):  # over the run's expected time, not a task count
                return ProgressBar(total=1000, completed=int(owner.fraction() * 1000),
                                   width=24)

        class _Times(ProgressColumn):
            def render(self, task):
                return Text(owner.elapsed_text())

        class _Step(ProgressColumn):
            def render(self, task):
                step = owner._current
                if step is None:
                    return Text("")
                planned = (f"/~{_seconds(step.expected)}" if owner._current_n is not None
                           else ", not planned")
                return Text(f"{step.group} › {step.label} ({_seconds(owner.step_elapsed())}"
                            f"{planned})", no_wrap=True, overflow="ellipsis")

        force = os.environ.get(ENV, "").strip() == "1"
        console = Console(file=progress.stream, force_terminal=force or None)
        self._rich = RichProgress(
            _Position(), _Bar(), _Times(),
            _Step(table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
            console=console, refresh_per_second=2, redirect_stdout=False,
            redirect_stderr=False, expand=True)
        self._rich.add_task(progress.name, total=None)
        self._rich.start()

    def update(self) -> None:
        self._rich.refresh()

    def stop(self) -> None:
        self._rich.refresh()
        self._rich.stop()
