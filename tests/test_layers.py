"""The layer contracts (.importlinter) hold, and the checker does catch a layer broken."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports") or str(Path(REPO / ".venv" / "bin" / "lint-imports"))


def _lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT, "--config", str(config), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layers_hold():
    out = _lint(REPO / ".importlinter")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_a_layer_upside_down_is_reported(tmp_path):
    """Ranking reads retrieval's candidates: with retrieval put above ranking, the check fails
    and names the import."""
    config = tmp_path / "upside-down.ini"
    config.write_text(
        "[importlinter]\nroot_package = qis_match\n\n"
        "[importlinter:contract:1]\nname = upside down\ntype = layers\n"
        "layers =\n    qis_match.retrieval\n    qis_match.ranking\n",
        encoding="utf-8",
    )
    out = _lint(config)
    assert out.returncode != 0
    assert "qis_match.ranking.ranker -> qis_match.retrieval.hybrid" in out.stdout


def test_no_function_is_longer_than_80_lines():
    """Small functions with one job (issue 18): none in the engine or the service is longer."""
    import ast

    long = []
    for path in [
        *REPO.joinpath("qis_match").rglob("*.py"),
        *REPO.joinpath("service").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({n} lines)")
    assert long == []
