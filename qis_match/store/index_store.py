"""The versioned index directory.

Layout under ``<home>/index``::

    CURRENT                  name of the version being served (replaced atomically)
    v20261121T101500-1a2b3c/ one complete, immutable index version
        manifest.json        catalog version, encoder, counts, timings
        resources.parquet (institutions, experts, instruments) lines.parquet passages.parquet
        dense.faiss (FAISS ids = passage ids) bm25_*.{npz,npy,json}
        needs_classifier.joblib

A build writes a ``.building-*`` directory, renames it to its version name when complete and only
then points CURRENT at it, so a crash mid-build leaves the previous version serving.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from qis_match.errors import IndexNotBuiltError
from qis_match.retrieval.bm25 import BM25Index
from qis_match.retrieval.dense import DenseIndex

MANIFEST = "manifest.json"
# 2: resources (institutions, experts, instruments) instead of institutions;
# 3: BM25 stored as counts with live documents (incremental updates), no vectors.npy
FORMAT_VERSION = 3


@dataclass
class IndexData:
    """Everything a Matcher needs, loaded from one index version."""

    path: Path
    manifest: dict
    resources: (
        pd.DataFrame
    )  # institutions, experts and instruments (catalog.passages.RESOURCE_COLUMNS)
    lines: pd.DataFrame  # one row per capability line, with its resource_id and passage_id
    passages: pd.DataFrame  # passage_id, text
    dense: DenseIndex
    bm25: BM25Index

    @cached_property
    def retired(self) -> np.ndarray | None:
        """Per passage: no line uses it any more (after updates); None when all are live.
        Derived once: a loaded version is never changed (an update publishes a new one)."""
        alive = self.bm25.alive
        return None if alive.all() else ~alive

    @property
    def version(self) -> str:
        return self.manifest["index_version"]


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextmanager
    def writer_lock(self, timeout: float = 600.0) -> Iterator[None]:
        """One writer at a time (across processes): an update reads CURRENT and publishes the
        next version, so two at once would lose one's change."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".writer.lock", "a+") as fh:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"another build or update holds {self.root / '.writer.lock'}"
                        ) from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_build_dir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f".building-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        return path

    def commit(self, build_dir: Path, manifest: dict, keep: int = 3) -> Path:
        """Publish a complete build: name it, then switch CURRENT atomically."""
        version = time.strftime("v%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        manifest = {**manifest, "index_version": version, "format": FORMAT_VERSION}
        _write_json(build_dir / MANIFEST, manifest)
        final = self.root / version
        os.replace(build_dir, final)
        tmp = self.root / f".CURRENT.{uuid.uuid4().hex[:6]}"
        tmp.write_text(version + "\n", encoding="utf-8")
        os.replace(tmp, self.root / "CURRENT")
        self._prune(keep)
        return final

    def _prune(self, keep: int) -> None:
        current = self.current_version()
        versions = sorted(p for p in self.root.glob("v*") if p.is_dir())
        for p in versions[:-keep]:
            if p.name != current:
                shutil.rmtree(p, ignore_errors=True)
        for p in self.root.glob(".building-*"):
            # Leftovers of killed builds older than a day: nobody is writing them any more.
            if time.time() - p.stat().st_mtime > 86400:
                shutil.rmtree(p, ignore_errors=True)

    def current_version(self) -> str | None:
        f = self.root / "CURRENT"
        if not f.exists():
            return None
        name = f.read_text(encoding="utf-8").strip()
        return name or None

    def current_path(self) -> Path:
        version = self.current_version()
        if version is None or not (self.root / version / MANIFEST).exists():
            raise IndexNotBuiltError(f"no index at {self.root}: run `qis-match build` first")
        return self.root / version

    def load(self, path: Path | None = None, ef_search: int = 128, nprobe: int = 0) -> IndexData:
        """One index version (the current one by default); ``ef_search``/``nprobe`` tune an
        approximate dense index's search."""
        path = path or self.current_path()
        with open(path / MANIFEST, encoding="utf-8") as fh:
            manifest = json.load(fh)
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexNotBuiltError(
                f"index {path.name} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}: "
                "run `qis-match build`"
            )
        bm25 = BM25Index.load(path)
        return IndexData(
            path=path,
            manifest=manifest,
            resources=pd.read_parquet(path / "resources.parquet"),
            lines=_read_lines(path / "lines.parquet"),
            passages=pd.read_parquet(path / "passages.parquet"),
            dense=DenseIndex.load(path / "dense.faiss", ef_search, nprobe),
            bm25=bm25,
        )


def _read_lines(path: Path) -> pd.DataFrame:
    """Capability lines with every text column as a pandas Categorical, read straight from
    Parquet's dictionary encoding: a million lines repeat a few thousand standards, services and
    objects, so this is a fraction of the memory of one Python string per cell."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    text_cols = [f.name for f in schema if str(f.type) in ("string", "large_string")]
    table = pq.read_table(path, read_dictionary=text_cols)
    return table.to_pandas(self_destruct=True, split_blocks=True)  # no second copy at load


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
