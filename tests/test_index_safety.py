"""A real build process killed in the middle leaves the previous version serving and loadable
(issue #6); the embedding stage on a local Ray cluster builds exactly the same index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qis_match.build import build_index
from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore


def test_killed_build_leaves_the_previous_version_serving(
    home_with_index, fixture_catalog, e5_encoder
):
    s = home_with_index  # a warm cache copy: the kill then lands in training, not setup
    cache = s.cache_path
    first = IndexStore(s.index_root).current_path()
    env = {
        **os.environ,
        "QIS_HOME": str(s.home),
        "QIS_EMBEDDING_CACHE": str(cache),
        "QIS_CATALOG_DIR": str(fixture_catalog),
        "QIS_NEEDS_MODEL": "classifier",  # trains the need classifier: tens of seconds to kill in
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "qis_match.cli", "build", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(s.index_root.glob(".building-*")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the build: embedding / training
        assert proc.poll() is None, "the build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = IndexStore(s.index_root)
    assert store.current_path() == first  # CURRENT never moved
    assert list(s.index_root.glob(".building-*"))  # the half-built directory is all that is left
    m = Matcher(s, encoder=e5_encoder)
    assert m.index.version == first.name
    assert m.search("压力表检定", "湖北省武汉市")[0].resource_id == "T-MET-WH"
    # The next build publishes normally beside the leftover.
    again = build_index(s, encoder=e5_encoder, progress=False).path
    assert store.current_path() == again != first


def _same_index(a: Path, b: Path) -> None:
    assert (a / "dense.faiss").read_bytes() == (b / "dense.faiss").read_bytes()
    for name in ("bm25_lengths.npy", "bm25_alive.npy"):
        assert np.array_equal(np.load(a / name), np.load(b / name))
    assert (a / "bm25_vocab.json").read_text() == (b / "bm25_vocab.json").read_text()
    for name in ("passages.parquet", "lines.parquet", "resources.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))


@pytest.mark.slow
def test_ray_embedding_stage_builds_the_same_index(tmp_path, fixture_catalog, e5_encoder):
    ray = pytest.importorskip("ray")
    from qis_match.encoders.distributed import RayEmbedder

    def settings(name: str) -> Settings:  # fresh caches: both builds really embed
        return Settings(
            home=tmp_path / name,
            catalog_dir=fixture_catalog,
            needs_model="retrieval",
            encoder_batch_size=8,
        )

    local = build_index(settings("local"), encoder=e5_encoder, progress=False)
    runner = RayEmbedder(settings("ray"), "auto", actors=2)
    try:
        remote = build_index(settings("ray"), encoder=e5_encoder, progress=False, runner=runner)
    finally:
        runner.shutdown()
        ray.shutdown()
    assert remote.manifest["embedding"]["embedded"] == local.manifest["embedding"]["embedded"] > 0
    _same_index(local.path, remote.path)
