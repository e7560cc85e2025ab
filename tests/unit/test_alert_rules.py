"""The alert rules, the scrape config and the dashboard name metrics the services export.

``promtool check rules`` (Prometheus' own checker; Debian's ``prometheus`` package ships
it) validates the rule file's syntax when it is installed; in any case each expression
must name only metric families the services register (``common/nameko/metrics.py``,
``business.py``) -- a renamed metric cannot leave an alert that never fires.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY

import common.nameko.business  # noqa: F401  (registers the business metrics)
import common.nameko.metrics  # noqa: F401
from tests.observability import ALERTS, ROOT, alert_fires, alert_rules, promtool

PROMETHEUS = ROOT / "docker" / "prometheus" / "prometheus.yml"
DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "alpes-platform.json"
REQUIRED = {"DeadLettersPresent", "OutboxNotPublishing", "PayoutSagaStuck",
            "RpcErrorRateHigh", "CampaignBudgetExhausted"}
NOT_OURS = {"up"}  # Prometheus' own series


def exported() -> set[str]:
    names = set()
    for collector in list(REGISTRY._collector_to_names):
        for family in collector.describe() if hasattr(collector, "describe") else ():
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
        names.update(REGISTRY._collector_to_names[collector])
    return names


def metric_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
    words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?:\{|\)|\s|$|>|<|=|/)", without_ranges))
    functions = {"sum", "rate", "increase", "histogram_quantile", "max", "min", "by",
                 "without", "avg", "count", "le", "and", "or", "unless", "on", "ignoring"}
    labels = set(re.findall(r"\b([a-z_]+)\s*(?:=~|!=|=)", without_strings))
    grouped = {name for group in re.findall(r"by \(([^)]*)\)", expr)
               for name in re.split(r"\s*,\s*", group)}
    return {w for w in words if w not in functions | labels | grouped
            and not w.startswith("__")}


def test_the_required_alerts_exist_with_severity_and_summary():
    rules = alert_rules()
    assert REQUIRED <= set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in ("info", "warning", "critical"), name
        assert rule["annotations"]["summary"], name


@pytest.mark.parametrize("name", sorted(alert_rules()))
def test_each_alert_names_exported_metrics_only(name):
    names = metric_names(alert_rules()[name]["expr"])
    assert names, name
    assert names <= exported() | NOT_OURS, names - exported()


def test_the_dashboard_queries_exported_metrics_only():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"]
             for target in panel.get("targets", ())]
    assert len(exprs) >= 20
    for expr in exprs:
        names = metric_names(expr.replace("$__rate_interval", "5m").replace("$__range", "1h"))
        assert names and names <= exported() | {"process_resident_memory_bytes"}, expr


def test_the_scrape_config_finds_each_service_on_its_configured_port():
    from common.nameko.config import load_config

    offsets = load_config(str(ROOT / "config.yaml"))["METRICS"]["offsets"]
    base = 9400
    scrape = yaml.safe_load(PROMETHEUS.read_text())
    [job] = scrape["scrape_configs"]
    found = {entry["names"][0]: entry["port"] for entry in job["dns_sd_configs"]}
    assert found == {service: base + offset for service, offset in offsets.items()}
    from common.nameko.discovery import service_names

    assert set(offsets) == set(service_names())  # every service has its port


@pytest.mark.skipif(promtool() is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules():
    result = subprocess.run([promtool(), "check", "rules", str(ALERTS)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dead_letter_alert_fires_on_a_dlq_with_messages_only():
    depth = "alpes_dead_letter_queue_depth"
    assert alert_fires("DeadLettersPresent", {depth: [({"service": "campaigns"}, 1.0)]})
    assert not alert_fires("DeadLettersPresent", {depth: [({"service": "campaigns"}, 0.0)]})


def test_the_outbox_alert_fires_past_sixty_seconds():
    age = "alpes_outbox_oldest_unpublished_age_seconds"
    if promtool() is None:
        pytest.skip("promtool is not installed")
    assert alert_fires("OutboxNotPublishing", {age: [({"service": "tracking"}, 61.0)]})
    assert not alert_fires("OutboxNotPublishing", {age: [({"service": "tracking"}, 59.0)]})


@pytest.mark.skipif(promtool() is None, reason="promtool is not installed")
def test_promtool_accepts_the_scrape_config(tmp_path):
    config = yaml.safe_load(PROMETHEUS.read_text())
    config["rule_files"] = [str(ALERTS)]  # the container's path, here
    copy = tmp_path / "prometheus.yml"
    copy.write_text(yaml.safe_dump(config))
    result = subprocess.run([promtool(), "check", "config", str(copy)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
