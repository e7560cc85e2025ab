"""Run the platform locally: one ``nameko run`` process per service (``alpes run``).

Prints what runs where, prefixes each service's output with its name, and on Ctrl-C
(SIGINT) or SIGTERM stops every service cleanly (SIGTERM, then SIGKILL after a grace
period). ``run`` answers 0 only then: a service that fails to start or dies makes it stop
the others and answer 1. The end-to-end and reliability tests and the benchmark drive the
same ``Stack`` class to start, kill and restart services.
"""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable

from common.nameko.config import db_uri, load_config
from common.nameko.discovery import ROOT, service_names
from tools.quiet import quiet_env

NAMEKO = str(pathlib.Path(sys.executable).with_name("nameko"))


class ServiceProcess:
    def __init__(self, name: str, config_path: str, env: dict, log_dir: pathlib.Path | None,
                 module: str | None = None, rpc_name: str | None = None):
        self.name = name
        self.module = module or f"services.{name}.service"
        self.rpc_name = rpc_name or name  # the Nameko service name answering `health`
        self.config_path = config_path
        self.env = env
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self._pump: threading.Thread | None = None
        self._terminating = False
        self.overrides: dict = {}

    @property
    def command(self) -> list[str]:
        return [NAMEKO, "run", "--config", self.config_path, self.module]

    def start(self, extra_env: dict | None = None) -> None:
        env = {**self.env, **(extra_env or {})}
        self.overrides = dict(extra_env or {})  # what this run differs by (faults...)
        self._terminating = False
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_dir / f"{self.name}.log", "ab")
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            return
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._pump = threading.Thread(target=self._prefix_output, daemon=True)
        self._pump.start()

    def _prefix_output(self) -> None:
        assert self.process and self.process.stdout
        width = 10
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if not line.strip():
                continue
            sys.stdout.write(f"{self.name:<{width}}| {line}\n")
            sys.stdout.flush()

    @property
    def peak_rss_kb(self) -> int | None:
        """Peak resident set size (VmHWM) of the running process, from /proc."""
        if not self.running:
            return None
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.running and not self._terminating:
            self.process.send_signal(signal.SIGTERM)
            self._terminating = True

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM once (nameko's runner deadlocks on a second one), SIGKILL if stuck."""
        if self.process is None:
            return None
        if self.running:
            if not self._terminating:
                self.process.send_signal(signal.SIGTERM)
                self._terminating = True
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as a crash or power cut."""
        if self.running:
            self.process.kill()
            self.process.wait(5)


def _http_base(address: str, every_interface: str) -> str:
    """Where to reach, from this host, the BFF bound at ``address`` (WEB_SERVER_ADDRESS):
    bound on every interface (0.0.0.0), it is reached at ``every_interface``."""
    host, _, port = address.rpartition(":")
    return f"http://{every_interface if host in ('', '0.0.0.0', '::') else host}:{port}"


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def _http_answers(process: ServiceProcess, config: dict) -> bool:
    """A BFF is ready once its HTTP port answers, not just its ``health`` RPC: its web
    server binds after its RPC consumer starts, so a port that another process holds
    fails it a moment after it has answered ``health``. Any HTTP answer will do (a
    bare listener that never answers is not the BFF). Other services: no HTTP."""
    if process.module != "services.bff.service":
        return True
    address = ({**process.env, **process.overrides}.get("WEB_SERVER_ADDRESS")
               or config["WEB_SERVER_ADDRESS"])
    try:
        _DIRECT.open(f"{_http_base(address, '127.0.0.1')}/health", timeout=1).close()
    except urllib.error.HTTPError:
        return True  # it answered (/health says 503 while a service it needs is down)
    except OSError:
        time.sleep(0.3)
        return False
    return True


class Stack:
    """``instances`` > 1 runs that many processes of every service (``tracking``,
    ``tracking-2``...): competing consumers on the same queues, one database. Each extra
    BFF binds the next port after ``WEB_SERVER_ADDRESS``'s. SQLite refuses a second
    instance of a service (``common.nameko.database``): use PostgreSQL for more."""

    def __init__(self, services: Iterable[str] | None = None, *, config_path: str = "config.yaml",
                 env: dict | None = None, log_dir: pathlib.Path | str | None = None,
                 instances: int = 1):
        self.config_path = config_path
        self.env = quiet_env({**os.environ, **(env or {})})  # no eventlet notice per service
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        log_dir = pathlib.Path(log_dir) if log_dir else None
        self.processes = {}
        for name in services or service_names():
            self.processes[name] = ServiceProcess(name, config_path, self.env, log_dir)
            for number in range(2, instances + 1):
                extra = f"{name}-{number}"
                self.processes[extra] = ServiceProcess(
                    extra, config_path, {**self.env, **self._instance_env(name, number)},
                    log_dir, module=f"services.{name}.service", rpc_name=name)

    def _instance_env(self, name: str, number: int) -> dict:
        """Instance ``number``'s own ports: metrics at ``port_base`` + 10 per instance
        (9410-9417 for the second...), the BFF's HTTP on the port after the previous'."""
        config = self.config()
        metrics_base = int((config.get("METRICS") or {}).get("port_base") or 9400)
        env = {"METRICS_PORT_BASE": str(metrics_base + 10 * (number - 1))}
        if name == "bff":
            host, _, port = config["WEB_SERVER_ADDRESS"].rpartition(":")
            env["WEB_SERVER_ADDRESS"] = f"{host}:{int(port) + number - 1}"
        return env

    def instances_of(self, name: str) -> list[ServiceProcess]:
        return [p for p in self.processes.values()
                if p.rpc_name == name and p.module == f"services.{name}.service"]

    def add(self, name: str, module: str, env: dict | None = None,
            rpc_name: str | None = None) -> ServiceProcess:
        """Run another module (a second instance, a benchmark-only service...) alongside
        the platform, with its own environment overrides."""
        log_dir = next(iter(self.processes.values())).log_dir if self.processes else None
        self.processes[name] = ServiceProcess(name, self.config_path, {**self.env, **(env or {})},
                                              log_dir, module, rpc_name)
        return self.processes[name]

    def config(self) -> dict:
        previous = dict(os.environ)
        os.environ.update(self.env)
        try:
            return load_config(str(ROOT / self.config_path))
        finally:
            os.environ.clear()
            os.environ.update(previous)

    def start(self, wait: bool = True, timeout: float = 60.0) -> None:
        for process in self.processes.values():
            process.start()
        if wait:
            self.wait_ready(timeout=timeout)

    def wait_ready(self, services: Iterable[str] | None = None, timeout: float = 60.0,
                   cancel: threading.Event | None = None) -> None:
        """Until every service answers its ``health`` RPC (``InterruptedError`` once
        ``cancel`` is set)."""
        from nameko.standalone.rpc import ClusterRpcProxy

        pending = list(services or self.processes)
        deadline = time.monotonic() + timeout
        config = self.config()
        while pending:
            if cancel is not None and cancel.is_set():
                raise InterruptedError(f"stopped while starting: {pending} not ready")
            if time.monotonic() > deadline:
                raise TimeoutError(f"services not ready after {timeout}s: {pending}")
            for name in list(pending):
                process = self.processes[name]
                if process.process is not None and not process.running:
                    raise RuntimeError(f"{name} exited with {process.process.returncode}")
                try:
                    with ClusterRpcProxy(config, timeout=2) as rpc:
                        getattr(rpc, process.rpc_name).health()
                    if (self._all_instances_consume(config, process.rpc_name)
                            and _http_answers(process, config)):
                        pending.remove(name)
                except Exception:
                    time.sleep(0.3)

    def _all_instances_consume(self, config: dict, rpc_name: str) -> bool:
        """A health answer comes from any instance: with several, every running one must
        also be consuming the service's RPC queue."""
        running = sum(1 for p in self.processes.values() if p.rpc_name == rpc_name
                      and p.running)
        if running <= 1:
            return True
        from kombu import Connection

        with Connection(config["AMQP_URI"]) as conn:
            _, _, consumers = conn.channel().queue_declare(queue=f"rpc-{rpc_name}",
                                                           passive=True)
        if consumers < running:
            time.sleep(0.3)
            return False
        return True

    def restart(self, name: str, extra_env: dict | None = None, wait: bool = True) -> None:
        process = self.processes[name]
        process.stop()
        process.start(extra_env)
        if wait:
            self.wait_ready([name])

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.stop()

    def describe(self) -> str:
        config = self.config()
        lines = ["AlpesPartners is running:", f"  broker : {redact(config['AMQP_URI'])}"]
        for name, process in self.processes.items():
            try:
                uri = db_uri(config, name)
            except KeyError:  # a service without a database (the BFF)
                uri = None
            pid = process.process.pid if process.process else "-"
            lines.append(f"  {name:<12} pid {pid:<7} db {redact(uri) if uri else '-'}")
        if "bff" in self.processes:
            # WEB_SERVER_ADDRESS is what the BFF binds (0.0.0.0: every interface), not a
            # place to browse to; and /api/v1 alone is no route.
            base = _http_base(config["WEB_SERVER_ADDRESS"], "localhost")
            lines.append(f"  web app  : {base}/  (partner portal, brand console, operators)")
            lines.append(f"  API docs : {base}/api/v1/docs")
            lines.append(f"  OpenAPI  : {base}/api/v1/openapi.json")
            lines.append(f"  health   : {base}/health")
        metrics = _metrics_ports(config, list(self.processes))
        if metrics:
            lines.append(f"  metrics  : {metrics}")
        shell = ("alpes shell" if self.config_path == "config.yaml"
                 else f"alpes --config {self.config_path} shell")
        lines.append(f"  RPC      : {shell}")
        lines.append("Ctrl-C stops everything.")
        return "\n".join(lines)


def _metrics_ports(config: dict, names: list[str]) -> str | None:
    """Where each service's /metrics answers (docs/observability.md), or None (off)."""
    settings = config.get("METRICS") or {}
    if str(settings.get("enabled", "")).strip().lower() in ("", "0", "false", "no", "off"):
        return None
    offsets = settings.get("offsets") or {}
    base = int(settings.get("port_base") or 9400)
    ports = [f"{name} {base + int(offsets[name])}" for name in names if name in offsets]
    host = settings.get("host") or "127.0.0.1"
    return f"GET /metrics on {host}: " + ", ".join(ports) if ports else None


def redact(uri: str) -> str:
    """A database or broker URI without its password (every one of a `;` broker list)."""
    from sqlalchemy.engine import make_url

    if ";" in uri:
        from common.nameko.queues import redact as redact_brokers

        return redact_brokers(uri)
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:
        return uri.split("@")[-1]


def run(services: Iterable[str] | None = None, config_path: str = "config.yaml",
        ready_timeout: float = 90.0, instances: int = 1) -> int:
    """Start the services (``instances`` processes of each), print where they run, and
    keep them until Ctrl-C or SIGTERM (0) -- or until one fails to start or exits on its
    own (1). Every other one is stopped cleanly either way."""
    stack = Stack(list(services or []) or None, config_path=config_path, instances=instances)
    stopping = threading.Event()

    def request_stop(signum, frame):
        stopping.set()

    previous = {signum: signal.signal(signum, request_stop)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _supervise(stack, stopping, ready_timeout)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _supervise(stack: Stack, stopping: threading.Event, ready_timeout: float) -> int:
    names = ", ".join(stack.processes)
    print(f"starting {names} (each is ready when it answers health)...", flush=True)
    stack.start(wait=False)
    status = 0
    try:
        stack.wait_ready(timeout=ready_timeout, cancel=stopping)
        print(stack.describe(), flush=True)
    except InterruptedError:
        pass  # Ctrl-C while starting: stop as asked
    except Exception as error:
        print(f"start-up failed: {error}", file=sys.stderr, flush=True)
        status = 1
        stopping.set()
    while not stopping.is_set():
        dead = [name for name, process in stack.processes.items() if not process.running]
        if dead:
            codes = ", ".join(f"{name} (exit {stack.processes[name].process.returncode})"
                              for name in dead)
            print(f"service(s) exited: {codes}; stopping the rest", file=sys.stderr,
                  flush=True)
            status = 1
            break
        stopping.wait(0.5)
    print("stopping services...", flush=True)
    stack.stop()
    print("all services stopped." if status == 0 else
          "all services stopped; the platform did not run cleanly (exit 1).", flush=True)
    return status
