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
