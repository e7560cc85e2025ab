"""`make bench-smoke` runs inside the suite so the harness never rots (no figure is
asserted: speed is judged by `make bench`, not by tests)."""
import json
import os
import subprocess
import sys

from bench.scenarios import TARGETS
from tests.e2e.conftest import ROOT


def test_bench_smoke_runs_every_scenario_without_errors(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
                            cwd=ROOT, env={**os.environ, "ALPES_PROGRESS": "0"},
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [saved] = list(tmp_path.glob("*-smoke.json"))
    report = json.loads(saved.read_text())
    assert report["errors"] == 0 and report["mode"] == "smoke"
    assert not {"floors", "partner_commands", "conversion_commands", "event_chain",
                "http_bff"} & set(report["skipped"]), report["skipped"]
    # SQLite serves one instance per service: the 1 vs 2 instances rows say why not
    for second in ("ingestion, 2 instances", "conversion_commands, 2 instances"):
        assert "SQLite" in report["skipped"][second], report["skipped"]
    floors = report["sections"]["floor"]
    assert {"amqp publish+consume (kombu)", "rpc echo c=1", "rpc write c=1", "http hello c=16",
            "rpc echo @60/s open loop", "rpc write @60/s open loop"} <= set(floors)
    assert floors["rpc write c=1"]["ok"] > 0 and floors["rpc write c=1"]["service_cpu_ms"] > 0
    commands = report["sections"]["commands"]
    assert commands["partners.register_partner c=1"]["ok"] > 0
    assert "service_cpu_ratio" in commands["tracking.record_conversion @60/s open loop"]
    postback = report["sections"]["http"]["POST /api/v1/conversions c=16"]
    assert postback["ok"] > 0 and postback["credential"] == "api key"
    assert postback["cpu_ms_per_call"]["bff"] > 0
    assert "platform_cpu_ms" in report["sections"]["chain"]["conversion -> commission @ 20/s"]
    assert [t["name"] for t in report["targets"]] == list(TARGETS)
    assert report["versions"]["nameko"] == "2.14.1"
    assert "targets:" in result.stdout
    # progress: one plain line per step on stderr, every step planned
    assert report["steps"] and all(step["planned"] for step in report["steps"]), [
        step for step in report["steps"] if not step["planned"]]
    progress = [line for line in result.stderr.splitlines() if line.startswith("bench [")]
    assert len(progress) == len(report["steps"]) and "bench: done in" in result.stderr
