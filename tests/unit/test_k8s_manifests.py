"""No Kubernetes cluster runs here: check deploy/k8s statically.

The example overlay is rendered as kustomize would (its base, the generators, the
namespace, image and replica transformers -- nothing else is allowed in a
kustomization.yaml, so what this renderer skips cannot hide anything), and every object
is validated against the Kubernetes API's own schemas (``kubernetes-validate``, which
ships them: no network), strictly: an unknown field fails. Then the platform's rules:
every service under services/ has a Deployment running ``alpes serve <service>``, with
probes on its health checks, resources, its own secrets only; the BFF a Service; tracking
and the BFF an autoscaler; the migration Job; config.yaml itself as the ConfigMap; no
real secret committed.
"""
from __future__ import annotations

import base64
import pathlib
import re

import kubernetes_validate
import pytest
import yaml

from common.nameko.discovery import service_names
from services.bff.auth import MIN_SECRET_LENGTH
from tools import cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE, OVERLAY = K8S / "base", K8S / "overlays" / "example"
KUBERNETES_VERSIONS = ("1.29", "1.33")
CONFIG = "/app/config.yaml"  # where the image has config.yaml, and the ConfigMap goes
AUTOSCALED = {"tracking", "bff"}
PLACEHOLDER = "REPLACE-ME"
CLUSTER_SCOPED = {"Namespace"}
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources", "images", "replicas",
                      "configMapGenerator", "secretGenerator"}


# --- a small kustomize ------------------------------------------------------------------
def render(directory: pathlib.Path) -> list[dict]:
    """The objects ``kustomize build`` makes of ``directory`` (without the generated
    names' hash suffixes, which only kustomize needs)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KUSTOMIZATION_KEYS
    assert not unknown, (f"{directory.relative_to(ROOT)}: this test cannot render {unknown}; "
                         "teach render() first, or the check would skip it")
    objects: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects += render(path) if path.is_dir() else [
            doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for generator in kustomization.get(key, []):
            _generate(objects, directory, kind, generator)
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for container in containers(objects):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for replicas in kustomization.get("replicas", []):
        find(objects, "Deployment", replicas["name"])["spec"]["replicas"] = replicas["count"]
    return objects


def generator_files(directory: pathlib.Path, generator: dict) -> dict[str, pathlib.Path]:
    files = {}
    for entry in generator.get("files", []):
        key, _, path = entry.rpartition("=")
        files[key or pathlib.Path(path).name] = (directory / path).resolve()
    return files


def _generate(objects: list[dict], directory: pathlib.Path, kind: str, generator: dict) -> None:
    data = {key: path.read_text() for key, path in generator_files(directory, generator).items()}
    for line in generator.get("literals", []):
        key, _, value = line.partition("=")
        data[key] = value
    for env in generator.get("envs", []):
        data.update(env_file(directory / env))
    if kind == "Secret":
        data = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    name = generator["name"]
    if generator.get("behavior") == "merge":
        find(objects, kind, name)["data"].update(data)
        return
    assert not [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name], name
    labels = (generator.get("options") or {}).get("labels") or {}
    objects.append({"apiVersion": "v1", "kind": kind,
                    "metadata": {"name": name, **({"labels": labels} if labels else {})},
                    **({"type": "Opaque"} if kind == "Secret" else {}), "data": data})


def env_file(path: pathlib.Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def find(objects: list[dict], kind: str, name: str) -> dict:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind} named {name}"
    return found[0]


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects: list[dict]) -> list[dict]:
    return [o["spec"]["template"]["spec"] for o in objects if o["kind"] in ("Deployment", "Job")]


def containers(objects: list[dict]) -> list[dict]:
    return [c for spec in pod_specs(objects)
            for c in spec.get("initContainers", []) + spec["containers"]]


def the_container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


OBJECTS = render(OVERLAY)
DEPLOYMENTS = of_kind(OBJECTS, "Deployment")


def missing_deployments(services: list[str], objects: list[dict]) -> list[str]:
    """What is wrong between the services and the Deployments, one line each."""
    deployments = of_kind(objects, "Deployment")
    problems = [f"{name}: no Deployment" for name in services if name not in deployments]
    problems += [f"{name}: a Deployment for no service" for name in deployments
                 if name not in services]
    for name in set(services) & set(deployments):
        command = the_container(deployments[name]).get("command")
        if command != ["alpes", "--config", CONFIG, "serve", name]:
            problems.append(f"{name}: runs {command}, not `alpes serve {name}`")
    return problems


def parse_alpes(argv: list[str]) -> tuple[str, dict]:
    """The command and parameters the real `alpes` command line makes of ``argv`` (parsed
    and checked, not run)."""
    assert argv[0] == "alpes"
    group = cli.alpes.make_context("alpes", list(argv[1:]))
    name, *rest = group.protected_args + group.args
    command = cli.alpes.get_command(group, name)
    return name, command.make_context(name, rest, parent=group).params


# --- the schemas ----------------------------------------------------------------------------
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_validates_against_the_kubernetes_schemas(version):
    problems = []
    for obj in OBJECTS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(error.message)
    assert not problems, "\n".join(problems)
    assert len(OBJECTS) > 2 * len(service_names())


def test_the_validator_refuses_a_broken_manifest():
    broken = yaml.safe_load(yaml.safe_dump(DEPLOYMENTS["partners"]))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["periodSecs"] = 5
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


# --- one Deployment per service -------------------------------------------------------
def test_every_service_has_a_deployment_running_alpes_serve():
    assert service_names(), "no services found"
    assert not missing_deployments(service_names(), OBJECTS)
    assert not missing_deployments(service_names(), render(BASE))
    for name, deployment in DEPLOYMENTS.items():
        container = the_container(deployment)
        assert parse_alpes(container["command"]) == ("serve", {"service": name})
        assert container["image"] == "registry.example.com/alpes/alpes-partners:0.1.0"
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_a_service_without_a_deployment_is_caught():
    assert missing_deployments([*service_names(), "loyalty"], OBJECTS) == [
        "loyalty: no Deployment"]
    assert missing_deployments([n for n in service_names() if n != "partners"], OBJECTS) == [
        "partners: a Deployment for no service"]


def test_readiness_asks_each_services_health_check():
    for name, deployment in DEPLOYMENTS.items():
        if name == "bff":
            continue
        readiness = the_container(deployment)["readinessProbe"]
        assert parse_alpes(readiness["exec"]["command"]) == (
            "health", {"service": name, "as_json": False})
        # the probe is killed after its timeout: `alpes health` gives up first (2 s)
        assert readiness["timeoutSeconds"] > 2 * 2


def test_liveness_asks_each_process_its_own_metrics_endpoint(monkeypatch):
    """Per pod and broker-free: the process's /metrics server (common/nameko/metrics.py)
    listens where the probes look once the ConfigMap's environment is set."""
    from common.nameko.config import load_config
    from common.nameko.observability import metrics_settings

    for key, value in find(OBJECTS, "ConfigMap", "alpes-env")["data"].items():
        monkeypatch.setenv(key, value)
    config = load_config(str(ROOT / "config.yaml"))
    for name, deployment in DEPLOYMENTS.items():
        container = the_container(deployment)
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        settings = metrics_settings(config, name)
        assert (settings["enabled"], settings["host"], settings["port"]) == (
            True, "0.0.0.0", ports["metrics"]), name
        for probe in ("startupProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/metrics", "port": "metrics"}
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(ports["metrics"])


def test_the_bff_is_ready_when_its_own_http_api_answers_a_public_route_without_rpc():
    from services.bff.api import ROUTES
    from services.bff.swagger import PAGE_PATH

    container = the_container(DEPLOYMENTS["bff"])
    assert {"name": "http", "containerPort": 8000} in container["ports"]
    env = find(OBJECTS, "ConfigMap", "alpes-env")["data"]
    assert env["WEB_SERVER_ADDRESS"].endswith(":8000")
    public_gets = {route.path for route in ROUTES if route.method == "GET" and route.public}
    readiness = container["readinessProbe"]
    assert readiness["httpGet"] == {"path": PAGE_PATH, "port": "http"}
    assert PAGE_PATH in public_gets
    # kubelet's probes share the public rate limit (per address): a few a minute
    assert 60 / readiness["periodSeconds"] <= 6


def test_the_bff_has_a_cluster_ip_service():
    service = find(OBJECTS, "Service", "bff")
    assert service["spec"]["type"] == "ClusterIP"
    pod_labels = DEPLOYMENTS["bff"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    ingress = find(OBJECTS, "Ingress", "bff")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "bff", "port": {"name": "http"}}


def test_tracking_and_the_bff_autoscale_on_cpu_and_others_have_a_count():
    autoscalers = of_kind(OBJECTS, "HorizontalPodAutoscaler")
    assert set(autoscalers) == AUTOSCALED
    for name, hpa in autoscalers.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": name}
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
    for name, deployment in DEPLOYMENTS.items():
        if name in AUTOSCALED:  # an apply would reset the autoscaler's count
            assert "replicas" not in deployment["spec"], name
        else:
            assert deployment["spec"]["replicas"] >= 2, name
        assert find(OBJECTS, "PodDisruptionBudget", name)["spec"]["selector"] == (
            deployment["spec"]["selector"])
    assert DEPLOYMENTS["commissions"]["spec"]["replicas"] == 3  # the overlay's count


QUANTITY = re.compile(r"^(\d+)(m|Mi|Gi)?$")


def quantity(value: str | int) -> float:
    number, unit = QUANTITY.match(str(value)).groups()
    return int(number) * {None: 1, "m": 0.001, "Mi": 2 ** 20, "Gi": 2 ** 30}[unit]


def test_every_container_requests_and_limits_cpu_and_memory():
    for container in containers(OBJECTS):
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            assert quantity(resources["requests"][resource]) <= quantity(
                resources["limits"][resource]), (container["name"], resource)
        # a service's peak RSS (60-90 MiB, BENCHMARKS.md) plus an exec probe's ~50 MiB
        assert quantity(resources["limits"]["memory"]) >= 256 * 2 ** 20, container["name"]


def test_the_migration_job_migrates_then_declares_the_queues():
    job = find(OBJECTS, "Job", "alpes-migrate")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in ("Never", "OnFailure")
    (container,) = spec["containers"]
    assert container["command"][:2] == ["sh", "-c"]
    steps = [step.split() for step in container["command"][2].split(" && ")]
    assert [parse_alpes(step)[0] for step in steps] == ["migrate", "topology"]
    assert all(step[1:3] == ["--config", CONFIG] for step in steps)
    keys = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]}
    assert keys == {"AMQP_URI"} | {f"{name.upper()}_DB_URI" for name in databases()}


def databases() -> list[str]:
    return [name for name in service_names()
            if (ROOT / "services" / name / "infrastructure" / "migrations").is_dir()]


def test_the_config_map_is_config_yaml_itself_mounted_where_the_image_has_it():
    base = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    (generator,) = [g for g in base["configMapGenerator"] if g["name"] == "alpes-config"]
    assert generator_files(BASE, generator) == {"config.yaml": ROOT / "config.yaml"}
    assert find(OBJECTS, "ConfigMap", "alpes-config")["data"]["config.yaml"] == (
        (ROOT / "config.yaml").read_text())
    for spec in pod_specs(OBJECTS):
        volumes = {v["name"]: v for v in spec["volumes"]}
        (container,) = spec["containers"]
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == CONFIG]
        assert mount["subPath"] == "config.yaml"
        assert volumes[mount["name"]]["configMap"]["name"] == "alpes-config"
        assert {"configMapRef": {"name": "alpes-env"}} in container["envFrom"]


def test_every_file_a_kustomization_reads_is_inside_it_but_config_yaml():
    """The one reason to build with the load restrictor off (docs/operations.md)."""
    for kustomization in K8S.rglob("kustomization.yaml"):
        directory = kustomization.parent
        content = yaml.safe_load(kustomization.read_text())
        paths = [directory / p for p in content.get("resources", [])]
        for key in ("configMapGenerator", "secretGenerator"):
            for generator in content.get(key, []):
                paths += [directory / p for p in generator.get("envs", [])]
                paths += list(generator_files(directory, generator).values())
        for path in paths:
            resolved = path.resolve()
            assert resolved.exists(), path
            if resolved != ROOT / "config.yaml":
                assert K8S in resolved.parents, f"{path} is outside deploy/k8s"


def references(spec: dict) -> set[tuple[str, str]]:
    found = {("ConfigMap", v["configMap"]["name"]) for v in spec["volumes"] if "configMap" in v}
    for container in spec["containers"]:
        for source in container.get("envFrom", []):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if key in source:
                    found.add((kind, source[key]["name"]))
        for env in container.get("env", []):
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if key in env.get("valueFrom", {}):
                    found.add((kind, env["valueFrom"][key]["name"]))
    return found


def test_every_config_map_and_secret_a_pod_names_is_generated():
    for spec in pod_specs(OBJECTS):
        for kind, name in references(spec):
            find(OBJECTS, kind, name)


def secret_keys(container: dict) -> set[str]:
    return {e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})}


OWN_SECRETS = {"bff": {"ALPES_JWT_SECRET", "BFF_RATE_LIMIT_STORAGE"},
               "identity": {"IDENTITY_MAIL_URL"},
               "webhooks": {"WEBHOOKS_SECRET_KEYS"}}


def test_each_service_gets_its_own_secrets_only():
    secret = find(OBJECTS, "Secret", "alpes-secrets")["data"]
    for name, deployment in DEPLOYMENTS.items():
        container = the_container(deployment)
        own = {f"{name.upper()}_DB_URI"} | OWN_SECRETS.get(name, set())
        assert secret_keys(container) == {"AMQP_URI"} | own, name
        assert not [s for s in container.get("envFrom", []) if "secretRef" in s], name
    assert set(secret) == {"AMQP_URI", *set().union(*OWN_SECRETS.values())} | {
        f"{name.upper()}_DB_URI" for name in databases()}


def test_no_real_secret_is_committed():
    assert not [o for path in K8S.rglob("*.yaml") for o in yaml.safe_load_all(path.read_text())
                if o and o.get("kind") == "Secret"], "Secrets come from the overlay's generator"
    for container in containers(OBJECTS):  # nothing secret as a plain value
        for env in container.get("env", []):
            assert "valueFrom" in env or not re.search(r"SECRET|PASSWORD|_URI$", env["name"])
    secret = {key: base64.b64decode(value).decode()
              for key, value in find(OBJECTS, "Secret", "alpes-secrets")["data"].items()}
    for key, value in secret.items():
        assert PLACEHOLDER in value, f"{key} must hold an example value only"
        password = re.match(r"^[\w+]+://[^:/@]+:([^@]*)@", value)
        assert password is None or password.group(1) == PLACEHOLDER, key
    assert len(secret["ALPES_JWT_SECRET"]) < MIN_SECRET_LENGTH  # left as is, it signs nothing
    for path in K8S.rglob("*"):  # no credentials anywhere else either
        if path.is_file():
            for user, password in re.findall(r"://([^:/@\s]+):([^@\s]+)@", path.read_text()):
                assert password == PLACEHOLDER, f"{path.relative_to(ROOT)}: {user}:{password}"


def test_every_variable_the_pods_get_is_one_the_platform_reads():
    """A misspelt name would be ignored without a word: config.yaml's ${VAR:default}s
    (and the BFF's own ALPES_JWT_SECRET) are what reads the environment."""
    from services.bff.auth import SECRET_ENV

    config = (ROOT / "config.yaml").read_text()
    read = set(re.findall(r"\$\{([A-Z0-9_]+):", config)) | {SECRET_ENV}
    given = set(find(OBJECTS, "ConfigMap", "alpes-env")["data"])
    given |= set(find(OBJECTS, "Secret", "alpes-secrets")["data"])
    assert given <= read, given - read


def test_the_example_runs_on_a_rabbitmq_cluster_with_quorum_queues(monkeypatch):
    from common.nameko.config import load_config

    for key, value in find(OBJECTS, "ConfigMap", "alpes-env")["data"].items():
        monkeypatch.setenv(key, value)
    for key, value in find(OBJECTS, "Secret", "alpes-secrets")["data"].items():
        monkeypatch.setenv(key, base64.b64decode(value).decode())
    config = load_config(str(ROOT / "config.yaml"))
    assert config["QUEUES"]["type"] == "quorum"
    assert 10 <= int(config["HEARTBEAT"]) <= 15
    nodes = config["AMQP_URI"].split(";")
    assert len(nodes) == 3 and all(node.startswith("amqp://") for node in nodes)
    # several BFF instances (the autoscaler's minimum is 2) count their limits together
    assert config["BFF"]["rate_limit_storage"].startswith("redis://")


def test_containers_run_unprivileged_on_a_read_only_root():
    for spec in pod_specs(OBJECTS):
        (container,) = spec["containers"]
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])


def test_the_bff_writes_its_click_journal_to_a_volume_of_its_own(monkeypatch):
    """The root is read-only: the journal (``click_journal_dir``, relative to /app) needs a
    volume, or every redirect would be refused."""
    from common.nameko.config import load_config

    for key, value in find(OBJECTS, "ConfigMap", "alpes-env")["data"].items():
        monkeypatch.setenv(key, value)
    [spec] = [s for s in pod_specs(OBJECTS) if s["containers"][0]["name"] == "bff"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    [mount] = [m for m in spec["containers"][0]["volumeMounts"]
               if m["mountPath"] == "/app/var/clicks"]
    assert "emptyDir" in volumes[mount["name"]] and not mount.get("readOnly")
    config = load_config(str(ROOT / "config.yaml"))
    assert config["BFF"]["click_handover"] == "journaled"
    assert config["BFF"]["click_journal_dir"] == "var/clicks"


def test_the_readme_says_how_to_apply_them():
    readme = (ROOT / "README.md").read_text()
    assert "--load-restrictor LoadRestrictionsNone deploy/k8s/overlays/example" in readme
    assert "docs/operations.md" in readme
