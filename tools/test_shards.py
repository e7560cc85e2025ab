"""Run pytest on several groups of tests side by side, one process per group.

    python -m tools.test_shards "COVERAGE_FILE=.coverage.a tests/unit --cov" tests/e2e -- -x

A group is one argument, split as a shell would: settings of its own environment first
(``NAME=value``, as a shell takes them before a command), its test paths, and options of
its own after them; what follows ``--`` goes to every group. The test layers spend most of
their time waiting (services starting, events crossing the broker, timers), not
computing: on two cores the end-to-end layer alone kept the machine ~30 % busy. Each
group runs in its own pytest process (its own platform, vhosts and databases, as every
test already makes its own), so the groups take about as long as the longest one. Every
line a group prints is prefixed with its name (its paths' last parts, joined by ``+``);
the exit status is the first non-zero one, in the order the groups were given.

Why not pytest-xdist: its workers talk to the controller from a thread, and under
eventlet's monkey patching (every test process needs it: tests/conftest.py) that thread
and the hub trip over each other ("Cannot switch to a different thread").
"""
from __future__ import annotations

import argparse
import itertools
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time


def main(argv: list[str] | None = None) -> int:
    groups, pytest_args = _parse(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    shards = [_Shard(group, pytest_args) for group in groups]
    previous = {sig: signal.signal(sig, lambda *_: _stop(shards)) for sig in
                (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = [shard.wait() for shard in shards]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for shard, code in zip(shards, codes, strict=True):
        print(f"== {shard.name}: exit {code} in {shard.elapsed:.0f} s", flush=True)
    print(f"== {len(shards)} groups side by side in {time.monotonic() - started:.0f} s",
          flush=True)
    return next((code for code in codes if code), 0)


def _parse(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1:]
    else:
        pytest_args = []
    parser = argparse.ArgumentParser(prog="python -m tools.test_shards",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="+",
                        help="test paths (and their own options), one pytest process each")
    return parser.parse_args(argv).groups, pytest_args


def group_name(arguments: list[str]) -> str:
    """``["tests/unit", "tests/integration/", "--cov"]`` is ``unit+integration``."""
    _, arguments = split_environment(arguments)
    paths = itertools.takewhile(lambda argument: not argument.startswith("-"), arguments)
    return "+".join(path.rstrip("/").rsplit("/", 1)[-1] for path in paths) or "pytest"


def split_environment(arguments: list[str]) -> tuple[dict[str, str], list[str]]:
    """The leading ``NAME=value`` settings, and the arguments after them."""
    settings = list(itertools.takewhile(_ASSIGNMENT.fullmatch, arguments))
    return dict(setting.split("=", 1) for setting in settings), arguments[len(settings):]


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.DOTALL)


class _Shard:
    def __init__(self, group: str, pytest_args: list[str]):
        settings, own = split_environment(shlex.split(group))
        self.name = group_name(own)
        self._started = time.monotonic()
        self.elapsed = 0.0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *own, *pytest_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **settings},
            start_new_session=True)  # a Ctrl-C reaches it through _stop, once
        self._echo = threading.Thread(target=self._prefix_output, daemon=True)
        self._echo.start()

    def _prefix_output(self) -> None:
        for raw in iter(self.process.stdout.readline, b""):
            sys.stdout.write(f"{self.name} | {raw.decode(errors='replace').rstrip()}\n")
            sys.stdout.flush()
        self.process.wait()
        self.elapsed = time.monotonic() - self._started  # its own time, not the others'

    def wait(self) -> int:
        self._echo.join()
        return self.process.returncode


def _stop(shards: list[_Shard]) -> None:
    for shard in shards:
        if shard.process.poll() is None:
            shard.process.send_signal(signal.SIGINT)  # pytest's own interrupt: teardowns run


if __name__ == "__main__":
    sys.exit(main())
