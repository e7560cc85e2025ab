"""A throw-away 3-node RabbitMQ cluster on this machine, for the cluster tests.

Three extra nodes of the installed ``rabbitmq-server`` -- ``n1@localhost``,
``n2@localhost``, ``n3@localhost`` by default -- each with its own AMQP port (5682..),
distribution port (25682..), management port (15682..) and data, log and pid files under
one temporary folder, and one Erlang cookie of their own (``HOME`` points into the
folder). ``n2`` and ``n3`` join ``n1``. :meth:`RabbitCluster.close` stops every node it
started and removes the folder, whatever happened before.

The machine's own broker (``rabbit@localhost`` on 5672/15672/25672) is never touched:
the nodes read none of /etc/rabbitmq (their own env, config and plugins files), every
``rabbitmqctl`` call names one of *our* nodes, and a node name or port of the machine's
broker is refused. Processes are only ever ended by the id of what this class started.

    with RabbitCluster() as cluster:
        cluster.add_vhost("test")
        uri = cluster.amqp_uri("test")          # "amqp://...:5682/test;amqp://...:5683/test;..."
        cluster.stop_node("n1"); cluster.start_node("n1")
"""
from __future__ import annotations

import atexit
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from urllib.parse import quote

import requests

SBIN = pathlib.Path("/usr/lib/rabbitmq/bin")  # the real scripts, not /usr/sbin's su wrappers
FORBIDDEN_NODE = "rabbit@localhost"
FORBIDDEN_PORTS = {5672, 15672, 25672, 4369}
AUTH = ("guest", "guest")


def installed() -> bool:
    return (SBIN / "rabbitmq-server").exists() and (SBIN / "rabbitmqctl").exists()


class Node:
    def __init__(self, cluster: "RabbitCluster", short: str, amqp_port: int, dist_port: int,
                 management_port: int):
        self.cluster = cluster
        self.short = short
        self.name = f"{short}@localhost"
        self.amqp_port = amqp_port
        self.dist_port = dist_port
        self.management_port = management_port
        self.base = cluster.root / short
        self.process: subprocess.Popen | None = None
        if self.name == FORBIDDEN_NODE or {amqp_port, dist_port, management_port} & FORBIDDEN_PORTS:
            raise ValueError(f"{self.name}: refusing the machine's own broker's name or ports")

    @property
    def env(self) -> dict[str, str]:
        base = self.base
        return {
            **self.cluster.base_env,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),  # never written
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}/api"

    def write_files(self) -> None:
        for folder in ("mnesia", "log"):
            (self.base / folder).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.amqp_port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
            # statistics every second: leaders and queue lengths are read from them
            "collect_statistics_interval = 1000\n"
            "log.console = false\n"
            "log.file.level = info\n")
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "rabbitmq-env.conf").write_text("# empty: not /etc/rabbitmq's\n")

    def start(self) -> None:
        if self.running:
            return
        log = open(self.base / "server.out", "ab")
        self.process = subprocess.Popen([str(SBIN / "rabbitmq-server")], env=self.env,
                                        cwd=self.base, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ctl(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        return self.cluster.ctl(self.name, *args, timeout=timeout, check=check)

    def await_startup(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and not self.running:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}): "
                                   f"{self.tail()}")
            result = self.cluster.ctl(self.name, "await_startup", "--timeout", "10",
                                      check=False, timeout=30)
            if result is not None and not result.startswith("ERROR"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not start in {timeout}s: {self.tail()}")
            time.sleep(1)
        self.await_management(max(deadline - time.monotonic(), 10))

    def await_management(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.management_url}/overview", auth=AUTH, timeout=3).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}'s management API does not answer")
            time.sleep(0.5)

    def stop(self, timeout: float = 60) -> None:
        """The whole node down (as a machine lost): ``rabbitmqctl stop``, then the
        server script is waited for; SIGTERM, then SIGKILL of its own process group, if
        it lingers."""
        if not self.running:
            return
        self.cluster.ctl(self.name, "stop", check=False, timeout=timeout)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL of the node's own process group (the script and its Erlang VM)."""
        if self.process is None:
            return
        self.signal(signal.SIGKILL)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def signal(self, signum: int) -> None:
        """To the process group this node's server script leads (started here, in its
        own session): never any other process. Not once the script is gone (it waits for
        its Erlang VM): its group id could then be another's."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def tail(self, lines: int = 20) -> str:
        texts = []
        for path in [self.base / "server.out", *sorted((self.base / "log").glob("*.log"))]:
            try:
                texts.append("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
            except OSError:
                pass
        return "\n".join(texts)


class RabbitCluster:
    def __init__(self, names=("n1", "n2", "n3"), amqp_port: int = 5682,
                 dist_port: int = 25682, management_port: int = 15682):
        if not installed():
            raise RuntimeError(f"rabbitmq-server is not installed under {SBIN}")
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="alpes-rabbit-cluster-"))
        home = self.root / "home"
        home.mkdir()
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20).upper())
        cookie.chmod(0o400)
        self.base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                         "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        self.nodes = {short: Node(self, short, amqp_port + n, dist_port + n, management_port + n)
                      for n, short in enumerate(names)}
        atexit.register(self._last_resort)  # an interrupted run leaves no node behind

    # lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "RabbitCluster":
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, timeout: float = 180) -> "RabbitCluster":
        for node in self.nodes.values():
            node.write_files()
            node.start()
        for node in self.nodes.values():
            node.await_startup(timeout)
        first, *others = self.nodes.values()
        for node in others:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.name)
            node.ctl("start_app")
        for node in self.nodes.values():
            node.await_startup(timeout)
        self.await_running(list(self.nodes), timeout=60)
        return self

    def close(self) -> None:
        """Stop every node started here and remove the folder (even after a failure):
        SIGTERM to each node's own process group (the server script stops its node
        cleanly), SIGKILL to those still there after 30 s."""
        try:
            for node in self.live():
                node.signal(signal.SIGTERM)
            deadline = time.monotonic() + 30
            for node in self.nodes.values():
                if node.process is not None:
                    try:
                        node.process.wait(max(deadline - time.monotonic(), 0.1))
                    except subprocess.TimeoutExpired:
                        pass
        finally:
            for node in self.nodes.values():
                node.kill()
            shutil.rmtree(self.root, ignore_errors=True)

    def _last_resort(self) -> None:
        for node in self.nodes.values():
            node.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def stop_node(self, short: str) -> None:
        self.nodes[short].stop()

    def start_node(self, short: str, timeout: float = 120) -> None:
        node = self.nodes[short]
        node.start()
        node.await_startup(timeout)
        self.await_running(list(self.nodes), timeout=timeout)

    # what runs ---------------------------------------------------------------------------
    def ctl(self, node: str, *args: str, timeout: float = 120, check: bool = True) -> str | None:
        if node == FORBIDDEN_NODE or node.split("@")[0] not in self.nodes:
            raise ValueError(f"refusing rabbitmqctl on {node}: not a node of this cluster")
        env = {**self.base_env, "RABBITMQ_CONF_ENV_FILE": str(self.root / "no-env.conf")}
        try:
            result = subprocess.run([str(SBIN / "rabbitmqctl"), "-q", "-n", node, *args],
                                    env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            if check:
                raise
            return None
        if result.returncode != 0:
            if check:
                raise RuntimeError(f"rabbitmqctl -n {node} {' '.join(args)}: "
                                   f"{result.stdout}{result.stderr}")
            return "ERROR " + result.stdout + result.stderr
        return result.stdout

    def running_nodes(self) -> list[str]:
        """Nodes that answer and are running RabbitMQ, as a live node sees the cluster."""
        for node in self.live():
            try:
                answer = requests.get(f"{node.management_url}/nodes", auth=AUTH, timeout=5)
                if answer.ok:
                    return sorted(item["name"] for item in answer.json() if item.get("running"))
            except requests.RequestException:
                continue
        return []

    def await_running(self, shorts: list[str], timeout: float = 60) -> None:
        wanted = sorted(self.nodes[short].name for short in shorts)
        deadline = time.monotonic() + timeout
        while sorted(set(self.running_nodes()) & set(wanted)) != wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nodes {wanted} not all running: {self.running_nodes()}")
            time.sleep(0.5)

    def live(self) -> list[Node]:
        return [node for node in self.nodes.values() if node.running]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The management API of the first live node."""
        error = None
        for node in self.live():
            try:
                return requests.request(method, f"{node.management_url}{path}", auth=AUTH,
                                        timeout=kwargs.pop("timeout", 30), **kwargs)
            except requests.RequestException as exc:
                error = exc
        raise RuntimeError(f"no management API answers: {error}")

    # using it ----------------------------------------------------------------------------
    def amqp_uri(self, vhost: str, order: list[str] | None = None) -> str:
        """Every node's URL, ``;``-separated (kombu's failover list)."""
        nodes = [self.nodes[short] for short in (order or list(self.nodes))]
        return ";".join(f"amqp://guest:guest@127.0.0.1:{node.amqp_port}/{quote(vhost, safe='')}"
                        for node in nodes)

    def management_url(self) -> str:
        return self.live()[0].management_url

    def add_vhost(self, vhost: str) -> None:
        self.api("PUT", f"/vhosts/{quote(vhost, safe='')}").raise_for_status()
        self.api("PUT", f"/permissions/{quote(vhost, safe='')}/guest",
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()

    def delete_vhost(self, vhost: str) -> None:
        self.api("DELETE", f"/vhosts/{quote(vhost, safe='')}", timeout=120)

    def queues(self, vhost: str) -> list[dict]:
        answer = self.api("GET", f"/queues/{quote(vhost, safe='')}")
        answer.raise_for_status()
        return answer.json()

    def placement(self, vhost: str) -> dict[str, str]:
        """Queue name -> the node holding it: a quorum queue's leader, a classic queue's
        home node."""
        return {queue["name"]: queue.get("leader") or queue.get("node")
                for queue in self.queues(vhost)}

    def short_name(self, node_name: str) -> str:
        return node_name.split("@")[0]
