"""Helpers for the metrics tests: scrape an endpoint, read a sample, test an alert rule.

``alert_fires`` asks Prometheus' own rule checker (``promtool test rules``, from the
``prometheus`` package of Debian or Prometheus' release) whether an alert of
docker/prometheus/alerts.yml fires on given series; without promtool it evaluates the
simple ``<metric> > <number>`` form itself.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import tempfile

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tools import ports

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALERTS = ROOT / "docker" / "prometheus" / "alerts.yml"
Samples = dict[str, list[tuple[dict, float]]]


def scrape(url: str) -> Samples:
    """``{sample name: [(labels, value), ...]}`` of a /metrics endpoint."""
    answer = requests.get(url, timeout=5)
    answer.raise_for_status()
    return parse(answer.text)


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        samples.setdefault(family.name, [])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def value(samples: Samples, name: str, **labels) -> float | None:
    """The sum of ``name``'s samples whose labels include ``labels``; None if none."""
    found = [v for sample_labels, v in samples.get(name, ())
             if all(sample_labels.get(k) == str(want) for k, want in labels.items())]
    return sum(found) if found else None


def alert_rules() -> dict[str, dict]:
    rules = yaml.safe_load(ALERTS.read_text())
    return {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]
            if "alert" in rule}


def promtool() -> str | None:
    return shutil.which("promtool")


def _series(samples: Samples, expr: str) -> list[tuple[str, float]]:
    names = set(re.findall(r"\b(alpes_[a-z0-9_]+)\b", expr))
    found = []
    for name in sorted(names):
        for labels, sample_value in samples.get(name, ()):
            inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            found.append((f"{name}{{{inner}}}", sample_value))
    return found


def alert_fires(alert: str, samples: Samples, minutes: int = 15) -> bool:
    """Whether ``alert`` fires after ``minutes`` of ``samples`` standing still."""
    rule = alert_rules()[alert]
    tool = promtool()
    if tool is None:
        return _evaluate_simple(rule["expr"], samples)
    series = _series(samples, rule["expr"])
    assert series, f"{alert}: none of its series in the samples"
    test = {
        "rule_files": [str(ALERTS)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": name, "values": f"{sample_value:g}x{minutes}"}
                             for name, sample_value in series],
            "alert_rule_test": [{"eval_time": f"{minutes}m", "alertname": alert,
                                 "exp_alerts": []}],
        }],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as handle:
        yaml.safe_dump(test, handle)
        handle.flush()
        result = subprocess.run([tool, "test", "rules", handle.name], capture_output=True,
                                text=True, timeout=60)
    output = result.stdout + result.stderr
    if result.returncode == 0:
        return False  # no alert where none was expected
    assert f"alertname: {alert}" in output and "got:[" in output, output
    return True


def _evaluate_simple(expr: str, samples: Samples) -> bool:
    match = re.fullmatch(r"\s*(alpes_[a-z0-9_]+)\s*>\s*([0-9.]+)\s*", expr)
    assert match, f"without promtool only `<metric> > <number>` is evaluated: {expr!r}"
    return any(v > float(match.group(2)) for _, v in samples.get(match.group(1), ()))


ALLOWED_LABELS = {"service", "method", "outcome", "target", "route", "status_class",
                  "handler", "reason", "path", "gauge", "tracing", "source", "type", "kind",
                  "currency", "state", "le", "quantile",
                  # prometheus-client's own collectors
                  "implementation", "major", "minor", "patchlevel", "version", "generation"}
_ID_LIKE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-|@|\b\d{1,3}(\.\d{1,3}){3}\b|\d{5,}|^(?=.*\d)[A-Za-z0-9_-]{16,}$")


def assert_bounded(samples: Samples) -> None:
    """Label names from a fixed set; no value that looks like an id, an email, an address
    or a number; routes as templates (``<partner_id>``, not the id)."""
    for name, found in samples.items():
        for labels, _ in found:
            unknown = set(labels) - ALLOWED_LABELS
            assert not unknown, f"{name}: unexpected label(s) {unknown}"
            for key, label_value in labels.items():
                if key == "le":
                    continue
                assert not _ID_LIKE.search(label_value), f"{name}{{{key}={label_value!r}}}"
                assert len(label_value) <= 80, f"{name}{{{key}}} is {len(label_value)} long"


def free_port_block(size: int) -> int:
    """The first of ``size`` consecutive free ports for an e2e stack (tools/ports.py)."""
    return ports.free_port_block(size, ports.E2E)


class OtlpSink:
    """An OTLP/HTTP collector in the test process: keeps every span it is sent, answers
    200 (``http://127.0.0.1:<port>/v1/traces``)."""

    def __init__(self):
        import eventlet
        from eventlet import wsgi

        self.spans: list = []
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}/v1/traces"
        self._thread = eventlet.spawn(wsgi.server, self._socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        request = ExportTraceServiceRequest()
        request.ParseFromString(environ["wsgi.input"].read(
            int(environ.get("CONTENT_LENGTH") or 0)))
        for resource_spans in request.resource_spans:
            service = next((a.value.string_value for a in resource_spans.resource.attributes
                            if a.key == "service.name"), "")
            for scope in resource_spans.scope_spans:
                self.spans.extend((service, span) for span in scope.spans)
        start_response("200 OK", [("Content-Type", "application/x-protobuf"),
                                  ("Content-Length", "0")])
        return [b""]

    def of_trace(self, trace_id: int) -> list:
        wanted = trace_id.to_bytes(16, "big")
        return [(service, span) for service, span in self.spans if span.trace_id == wanted]

    def close(self) -> None:
        self._thread.kill()
        self._socket.close()
