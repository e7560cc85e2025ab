"""`make bench-smoke` runs inside the suite so the harness never rots (no figure is
asserted: speed is judged by `make bench`, not by tests)."""
import json
import os
import subprocess
import sys

from tests.e2e.conftest import ROOT


def test_bench_smoke_runs_every_scenario_without_errors(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
                            cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [saved] = list(tmp_path.glob("*-smoke.json"))
    report = json.loads(saved.read_text())
    assert report["errors"] == 0 and report["mode"] == "smoke"
    assert {"amqp publish+consume (kombu)", "rpc echo c=1", "http hello c=16"} <= set(
        report["sections"]["floor"])
    assert report["sections"]["commands"]["partners.register_partner c=1"]["ok"] > 0
    assert {t["name"] for t in report["targets"]} == {"ingestion", "commands", "chain", "http"}
    assert report["versions"]["nameko"] == "2.14.1"
    assert "targets:" in result.stdout
