"""No Docker engine runs here: check docker-compose.yml and the Dockerfile statically."""
import pathlib
import re
import tomllib

import yaml

from common.nameko.discovery import service_names

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_every_service_has_a_container_running_it_with_alpes_serve():
    for name in service_names():
        assert name in SERVICES, f"{name} has no container"
        container = SERVICES[name]
        assert container["command"] == ["alpes", "--config", "config.yaml", "serve", name]
        assert container["image"] == "alpes-partners:latest" and container["build"] == "."
        env = container["environment"]
        assert env["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672" in env["AMQP_URI"]
        assert env["DB_PREFIX"].startswith("postgresql+psycopg2://") and env["DB_SUFFIX"] == ""
        depends = container["depends_on"]
        assert depends["rabbitmq"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_replicas_where_instances_compete_and_never_on_a_fixed_host_port():
    """Instances of a service share its queues (on PostgreSQL: SQLite runs one each); a
    host port binds one container, so the BFF stays single here (deploy/k8s scales it)."""
    replicas = {name: SERVICES[name].get("deploy", {}).get("replicas", 1)
                for name in service_names()}
    assert replicas["tracking"] >= 2 and replicas["commissions"] >= 2
    for name, count in replicas.items():
        assert count == 1 or not SERVICES[name].get("ports"), (
            f"{name}: {count} replicas cannot all bind its host port")
    assert replicas["bff"] == 1
    for name in ("rabbitmq", "postgres", "migrate"):
        assert "deploy" not in SERVICES[name], name


def test_infrastructure_and_migration_job():
    assert "management" in SERVICES["rabbitmq"]["image"]
    assert SERVICES["rabbitmq"]["healthcheck"] and SERVICES["postgres"]["healthcheck"]
    migrate = SERVICES["migrate"]
    assert migrate["restart"] == "no"
    assert "alpes --config config.yaml migrate && alpes --config config.yaml topology" in (
        " ".join(migrate["command"]))
    init = (ROOT / "docker" / "postgres-init.sql").read_text()
    for name in service_names():
        if (ROOT / "services" / name / "infrastructure" / "migrations").is_dir():
            assert f"CREATE DATABASE alpes_{name};" in init


def test_config_has_a_database_for_every_service_with_migrations():
    config = (ROOT / "config.yaml").read_text()
    for name in service_names():
        if (ROOT / "services" / name / "infrastructure" / "migrations").is_dir():
            assert re.search(rf'^  "{name}:Base": \$\{{{name.upper()}_DB_URI:', config, re.M), name


def test_the_bff_shares_its_rate_limits_in_the_compose_redis():
    """Every bff container counts in one Redis: limits hold however many run."""
    redis = SERVICES["redis"]
    assert redis["image"].startswith("redis:") and redis["healthcheck"]
    assert "--save" in redis["command"] and "no" in redis["command"]  # counters only
    bff = SERVICES["bff"]
    assert bff["environment"]["BFF_RATE_LIMIT_STORAGE"].startswith("redis://redis:6379/")
    assert bff["depends_on"]["redis"]["condition"] == "service_healthy"
    config = (ROOT / "config.yaml").read_text()
    assert "rate_limit_storage: ${BFF_RATE_LIMIT_STORAGE:memory}" in config


def test_the_bff_keeps_its_click_journal_on_a_volume_the_image_lets_it_write():
    """``journaled`` clicks outlive the container: the next one hands them over."""
    config = (ROOT / "config.yaml").read_text()
    assert "click_handover: ${BFF_CLICK_HANDOVER:journaled}" in config
    assert "click_journal_dir: ${BFF_CLICK_JOURNAL_DIR:var/clicks}" in config
    [(volume, mount)] = [v.split(":") for v in SERVICES["bff"]["volumes"]]
    assert mount == "/app/var/clicks" and volume in COMPOSE["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"mkdir -p [^&]*/app/var/clicks[^&]*&& chown -R alpes /app/var", dockerfile)


def test_dockerfile_installs_the_project_and_runs_alpes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    for path in ("common", "services", "tools", "config.yaml", "pyproject.toml"):
        assert re.search(rf"^COPY .*{re.escape(path)}", dockerfile, re.M), path
    assert "pip install" in dockerfile and 'CMD ["alpes", "--config", "config.yaml", "serve"' in (
        dockerfile)
    assert re.search(r"^USER ", dockerfile, re.M), "the image must not run as root"


def test_the_package_ships_the_tools_and_the_alpes_script():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "tools*" in project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert project["project"]["scripts"]["alpes"] == "tools.cli:main"
    assert any(dep.startswith("click==") for dep in project["project"]["dependencies"])


def test_the_image_and_the_makefile_quiet_eventlet_as_the_tools_do():
    from tools.quiet import PYTHONWARNINGS

    assert f"PYTHONWARNINGS={PYTHONWARNINGS}" in (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^export PYTHONWARNINGS := .*\){re.escape(PYTHONWARNINGS)}$",
                     (ROOT / "Makefile").read_text(), re.M)
