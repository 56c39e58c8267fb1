"""The scale benchmark's smoke run (issue #6): the whole harness on a tiny catalog, so that the
long run (`python -m benchmarks.scale`) cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_scale_benchmark_smoke_run(tmp_path):
    out = tmp_path / "r.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scale",
            "--smoke",
            "--work",
            str(tmp_path / "w"),
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert (
        "| **qis-match** |" in text and "| BM25 only |" in text and "| dense only, exact |" in text
    )
    assert "Machine: " in text and "python -m benchmarks.scale --smoke" in text


@pytest.mark.slow
def test_soak_benchmark_smoke_run(built_settings):
    """The soak (issue 22; `python -m benchmarks.soak`, 30 minutes) for 6 seconds: the real
    server, a short capacity phase, the open-loop mix with an export, the per-window p99, the
    RSS samples and the verdict. The gates are the run's own (generous here: 6 s say nothing
    about drift); the 30-minute figures are in docs/RELIABILITY.md."""
    import json

    from benchmarks.soak import drift, growth, passed

    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", "--minutes", "0.1", "--capacity-seconds", "3"]
        + ["--warmup-minutes", "0", "--export-seconds", "2", "--json"]
        + ["--max-p99-drift", "100", "--max-rss-growth", "1"]
        + ["--home", str(built_settings.home)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-3000:])
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["errors"] == 0 and r["ok"], r["error_kinds"]
    assert r["capacity"]["operations_per_s"] > 0 and r["rate_ops_per_s"] > 0
    assert {"match", "ticket_create", "ticket_status", "ticket_feedback", "export"} <= set(
        r["endpoints"]
    ), r["endpoints"]
    assert len(r["windows"]) >= 3 and all(w["p99_ms"] for w in r["windows"])
    assert r["rss_kb"]["samples"] >= 3 and r["rss_kb"]["last"] > 0
    assert r["p99_drift"] is not None and r["rss_growth"] is not None
    # the exports run in the service's analytics process: its memory is counted too
    assert r["tree_rss_kb"]["max"] > r["rss_kb"]["max"] and r["tree_rss_growth"] is not None
    assert r["soak"]["seconds"] < 30  # the side tasks stop with the run
    # the verdict: errors, drift or growth over their bounds fail the run
    ok = {"errors": 0, "p99_drift": 0.1, "rss_growth": 0.01, "tree_rss_growth": 0.02}
    assert passed(ok, 0.2, 0.05)
    assert not passed({**ok, "errors": 1}, 0.2, 0.05)
    assert not passed({**ok, "p99_drift": 0.25}, 0.2, 0.05)
    assert not passed({**ok, "rss_growth": 0.06}, 0.2, 0.05)
    assert not passed({**ok, "rss_growth": None}, 0.2, 0.05)
    assert not passed({**ok, "tree_rss_growth": 0.06}, 0.2, 0.05)
    assert drift([100, 100, 100, 100, 130, 130, 130, 130]) == 0.3
    assert growth([1000] * 6 + [1100] * 2) == 0.1
