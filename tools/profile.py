"""Where the CPU of the conversion chain goes, by process: ``python -m tools.profile``.

Starts the platform as the benchmark does (fresh vhost and databases), builds its world
(a brand, a CPS campaign, an enrolled partner), drives ``tracking.record_conversion``
open loop at ``--rate`` per second, and samples every service process with py-spy for
``--seconds``. For each process it prints the CPU it used per conversion (from
``/proc``, which py-spy's sampling cross-checks), the share of its samples by bucket
(the library the innermost frame belongs to: SQLAlchemy, the database driver,
Nameko/kombu/eventlet, marshmallow, the seedwork, the service's own layers) and its top
functions by self time. py-spy samples without ``--nonblocking``: a thread waiting for a
core on a busy 2-core box is not counted as running.

    make profile                          # installs py-spy, then as below
    python -m tools.profile [--rate 60] [--seconds 20] [--db sqlite|postgres]
    python -m tools.profile --concurrency 64   # closed loop instead: 64 callers, no pause
    python -m tools.profile --redirects        # GET /r/<code> at c=16 (wrk) instead
"""
from __future__ import annotations

import argparse
import collections
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from bench import load
from bench.environment import BenchEnvironment
from bench.scenarios import World

BUCKETS = (  # (bucket, pattern on the innermost frame's file), first match wins
    ("driver (sqlite3/psycopg2)", r"sqlite3|psycopg2|psycogreen"),
    ("sqlalchemy", r"sqlalchemy"),
    ("nameko", r"/nameko/"),
    ("kombu/amqp", r"/kombu/|/amqp/|/vine/"),
    ("eventlet/greenlet", r"eventlet|greenlet"),
    ("marshmallow", r"marshmallow"),
    ("seedwork", r"common/seedwork"),
    ("bridge (common/nameko)", r"common/nameko"),
    ("contracts/validation", r"common/contracts|common/validation"),
    ("service: domain", r"services/\w+/domain"),
    ("service: application", r"services/\w+/application"),
    ("service: infrastructure", r"services/\w+/infrastructure"),
    ("service: entrypoints", r"services/\w+/(service|schemas)"),
    ("json/stdlib", r"json|/lib/python3\.\d+/"),
)
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=0,
                        help="closed loop with this many callers (instead of --rate)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--redirects", action="store_true",
                        help="drive GET /r/<code> through the BFF at concurrency 16 instead")
    args = parser.parse_args(argv)
    if not shutil.which("py-spy") and not os.path.exists(_py_spy()):
        sys.exit("py-spy is needed: `make profile` installs it (the project's profile extra)")
    with BenchEnvironment(db=args.db) as env:
        world = World.get(env)
        env.wait_quiet()
        drive = (functools.partial(_redirects, env, world, args.seconds) if args.redirects else
                 functools.partial(_drive, env, world, args.rate, args.seconds, args.concurrency))
        profiles, cpu, sent = _measure(env, args.seconds, drive)
    _report(profiles, cpu, sent, args.top, "redirects" if args.redirects else "conversions")


def _measure(env, seconds: float, drive):
    workdir = tempfile.mkdtemp(prefix="alpes-profile-")
    pids = {name: process.process.pid for name, process in env.stack.processes.items()
            if process.running}
    samplers = {name: subprocess.Popen(
        [_py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)),
         "--rate", "200", "--format", "raw", "--output", f"{workdir}/{name}.txt"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, pid in pids.items()}
    before = env.cpu_seconds()
    sent = drive()
    for sampler in samplers.values():
        sampler.wait(timeout=seconds + 60)
    env.wait_quiet()  # the chain's downstream work is billed to these conversions too
    after = env.cpu_seconds()
    cpu = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    profiles = {name: _read(f"{workdir}/{name}.txt") for name in pids}
    return profiles, cpu, sent


def _drive(env, world, rate: float, seconds: float, concurrency: int = 0) -> int:
    clients = [ClusterRpcProxy(env.config, timeout=30) for _ in range(max(concurrency, 16))]
    proxies = eventlet.queue.LightQueue()
    for client in clients:
        proxies.put(client.start())
    run = uuid.uuid4().hex[:8]

    def send(n):
        proxy = proxies.get()
        try:
            proxy.tracking.record_conversion({
                "brand_id": world.brand_id, "order_id": f"profile-{run}-{n}",
                "amount": "50.00", "currency": "USD", "referral_code": world.referral_code})
        finally:
            proxies.put(proxy)

    if concurrency:
        sent = _closed_loop(concurrency, seconds, send)
    else:
        sent, _errors, _samples = load.paced_stream(rate, seconds, send)
    for client in clients:
        client.stop()
    return sent


def _redirects(env, world, seconds: float) -> int:
    """``GET /r/<code>`` at concurrency 16 for ``seconds``, as the bench's http row."""
    result = load.http_load(f"http://{env.bff_http}/r/{world.referral_code}", concurrency=16,
                            seconds=seconds, name="GET /r/<code>", expect=(302,))
    print(f"redirects: {result.rate:,.0f}/s, {result.errors} errors")
    return result.ok


def _closed_loop(concurrency: int, seconds: float, send) -> int:
    """``concurrency`` callers, each sending its next call as soon as one is answered."""
    deadline = time.monotonic() + seconds
    numbers = iter(range(10 ** 9))
    sent = [0]

    def caller():
        while time.monotonic() < deadline:
            send(next(numbers))
            sent[0] += 1

    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(caller)
    pool.waitall()
    return sent[0]


def _read(path: str) -> collections.Counter:
    stacks: collections.Counter = collections.Counter()
    if not os.path.exists(path):
        return stacks
    with open(path) as handle:
        for line in handle:
            stack, _, count = line.rstrip().rpartition(" ")
            if stack and count.isdigit():
                stacks[stack] += int(count)
    return stacks


def _innermost(stack: str) -> tuple[str, str]:
    frame = stack.split(";")[-1]
    match = FRAME.match(frame)
    return (match.group("function"), match.group("file")) if match else (frame, "")


def _our_frames(stack: str) -> list[str]:
    found = []
    for frame in stack.split(";"):
        match = FRAME.match(frame)
        if match and re.search(r"(^|/)(services|common)/", match.group("file")):
            found.append(f"{match.group('function')} ({_short(match.group('file'))})")
    return found


def _our_frame(stack: str) -> str:
    """The innermost frame of the project's own code (services/, common/) in a stack."""
    for frame in reversed(stack.split(";")):
        match = FRAME.match(frame)
        if match and re.search(r"(^|/)(services|common)/", match.group("file")):
            return f"{match.group('function')} ({_short(match.group('file'))})"
    return "(no frame of ours: Nameko, kombu, eventlet)"


def _bucket(path: str) -> str:
    for name, pattern in BUCKETS:
        if re.search(pattern, path):
            return name
    return "other"


def _report(profiles: dict, cpu: dict, sent: int, top: int, what: str) -> None:
    print(f"{what} sent: {sent}; CPU ms per {what[:-1]}, by process:")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        if seconds > 0.01:
            print(f"  {name:<12} {seconds * 1000 / max(sent, 1):6.2f}")
    print(f"  {'all':<12} {sum(cpu.values()) * 1000 / max(sent, 1):6.2f}")
    for name, stacks in profiles.items():
        total = sum(stacks.values())
        if total < 50:
            continue
        buckets: collections.Counter = collections.Counter()
        functions: collections.Counter = collections.Counter()
        ours: collections.Counter = collections.Counter()
        inclusive: collections.Counter = collections.Counter()
        others: collections.Counter = collections.Counter()
        for stack, count in stacks.items():
            function, path = _innermost(stack)
            bucket = _bucket(path)
            buckets[bucket] += count
            functions[f"{function} ({_short(path)})"] += count
            if bucket == "other":
                others[_short(path) or function] += count
            ours[_our_frame(stack)] += count
            for frame in set(_our_frames(stack)):
                inclusive[frame] += count
        print(f"\n{name}: {total} samples")
        for bucket, count in buckets.most_common():
            print(f"  {bucket:<28} {count * 100 / total:5.1f}%")
        print("  top functions (self):")
        for function, count in functions.most_common(top):
            print(f"    {count * 100 / total:5.1f}%  {function}")
        print("  'other', by file:")
        for where, count in others.most_common(4):
            print(f"    {count * 100 / total:5.1f}%  {where}")
        print("  our innermost function (inclusive of the libraries it calls):")
        for function, count in ours.most_common(top):
            print(f"    {count * 100 / total:5.1f}%  {function}")
        print("  our functions, inclusive (everything below them):")
        for function, count in inclusive.most_common(2 * top):
            print(f"    {count * 100 / total:5.1f}%  {function}")


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _py_spy() -> str:
    return shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")


if __name__ == "__main__":
    time.sleep(0)
    main()
