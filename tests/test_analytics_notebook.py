"""The analyst notebook runs from top to bottom (nbclient) on a small demo log over the test index."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "demand_gaps.ipynb"


def test_notebook_executes(built_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("QIS_HOME", str(built_settings.home))
    monkeypatch.setenv("QIS_CATALOG_DIR", str(built_settings.catalog_dir))
    monkeypatch.setenv("QIS_DATABASE_URL", f"sqlite:///{tmp_path}/nb.db")
    monkeypatch.setenv("QIS_ANALYTICS_DEMO_REQUESTS", "30")
    monkeypatch.setenv("QIS_REPORT_DIR", str(tmp_path / "out"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(
        str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs
    )
    assert "requests in the log: 30" in text and "consistent" in text
    for name in ("report.html", "demand_gaps.xlsx", "heat_unmet.png", "附件3.xlsx"):
        assert (tmp_path / "out" / name).exists()
