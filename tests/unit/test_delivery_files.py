"""No Docker engine runs here: check docker-compose.yml and the Dockerfile statically."""
import pathlib
import re

import yaml

from common.nameko.discovery import service_names

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_every_service_has_a_container_running_it_with_nameko():
    for name in service_names():
        assert name in SERVICES, f"{name} has no container"
        container = SERVICES[name]
        assert container["command"] == ["nameko", "run", "--config", "config.yaml",
                                        f"services.{name}.service"]
        assert container["image"] == "alpes-partners:latest" and container["build"] == "."
        env = container["environment"]
        assert env["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672" in env["AMQP_URI"]
        assert env["DB_PREFIX"].startswith("postgresql+psycopg2://") and env["DB_SUFFIX"] == ""
        depends = container["depends_on"]
        assert depends["rabbitmq"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_infrastructure_and_migration_job():
    assert "management" in SERVICES["rabbitmq"]["image"]
    assert SERVICES["rabbitmq"]["healthcheck"] and SERVICES["postgres"]["healthcheck"]
    migrate = SERVICES["migrate"]
    assert migrate["restart"] == "no"
    assert "common.migrate" in " ".join(migrate["command"])
    assert "common.nameko.topology" in " ".join(migrate["command"])
    init = (ROOT / "docker" / "postgres-init.sql").read_text()
    for name in service_names():
        if (ROOT / "services" / name / "infrastructure" / "migrations").is_dir():
            assert f"CREATE DATABASE alpes_{name};" in init


def test_config_has_a_database_for_every_service_with_migrations():
    config = (ROOT / "config.yaml").read_text()
    for name in service_names():
        if (ROOT / "services" / name / "infrastructure" / "migrations").is_dir():
            assert re.search(rf'^  "{name}:Base": \$\{{{name.upper()}_DB_URI:', config, re.M), name


def test_dockerfile_installs_the_project_and_runs_nameko():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    for path in ("common", "services", "config.yaml", "pyproject.toml"):
        assert re.search(rf"^COPY .*{re.escape(path)}", dockerfile, re.M), path
    assert "pip install" in dockerfile and 'CMD ["nameko", "run"' in dockerfile
    assert re.search(r"^USER ", dockerfile, re.M), "the image must not run as root"
