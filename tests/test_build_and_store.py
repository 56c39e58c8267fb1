import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qis_match.build import build_index
from qis_match.encoders.cache import EmbeddingCache
from qis_match.errors import IndexNotBuiltError
from qis_match.store.index_store import IndexStore


class CountingEncoder:
    """Wraps the real encoder and counts the passages it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.passages = inner, inner.name, inner.dim, 0

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        self.passages += len(texts)
        return self.inner.encode_passages(texts)


def test_identical_texts_are_embedded_once_and_rebuilds_reuse_the_cache(
    tmp_settings, fixture_catalog, tmp_path, e5_encoder
):
    enc = CountingEncoder(e5_encoder)
    r1 = build_index(tmp_settings, encoder=enc, progress=False)
    n_passages = r1.manifest["passages"]
    assert n_passages < r1.manifest["lines"]  # the same capability at several labs is one text
    assert enc.passages == n_passages

    d = tmp_path / "cat"
    shutil.copytree(fixture_catalog, d)
    caps = pd.read_csv(d / "capabilities.csv", dtype=str, keep_default_na=False)
    caps.loc[len(caps)] = [
        "L999",
        "T-LAB-WH",
        "testing",
        "testing.electrical",
        "电饭锅",
        "泄漏电流",
        "",
        "",
        "",
        "",
        "",
    ]
    caps.to_csv(d / "capabilities.csv", index=False)
    enc.passages = 0
    r2 = build_index(tmp_settings, catalog_path=d, encoder=enc, progress=False)
    assert enc.passages == 1  # only the new line's text
    assert r2.manifest["embedding"]["cached"] == n_passages
    assert r2.manifest["catalog_version"] != r1.manifest["catalog_version"]


def test_cache_roundtrip(tmp_path):
    c = EmbeddingCache(tmp_path / "c.sqlite")
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    c.put_many("m", ["a", "b"], v)
    got = c.get_many("m", ["b", "x", "a", "b"], 3)
    assert set(got) == {0, 2, 3} and np.allclose(got[2], v[0])
    assert c.get_many("other-model", ["a"], 3) == {}
    assert c.get_many("m", ["a"], 4) == {}  # a different dimension is never served


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_cache_is_set_aside_and_rebuilt_not_trusted(tmp_path, caplog, damage):
    path = tmp_path / "c.sqlite"
    c = EmbeddingCache(path)
    rng = np.random.default_rng(0)
    c.put_many("m", [f"t{i}" for i in range(400)], rng.random((400, 16), dtype=np.float32))
    c.close()
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    raw = path.read_bytes()
    path.write_bytes(
        b"not a database at all " * 50 if damage == "garbage" else raw[: len(raw) // 3]
    )
    with caplog.at_level("WARNING"):
        c2 = EmbeddingCache(path)
        got = c2.get_many("m", ["t1", "t2"], 16)
        c2.put_many("m", ["t1"], np.ones((1, 16), dtype=np.float32))
        again = c2.get_many("m", ["t1"], 16)
    warned = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert len(warned) == 1, "one clear line, not a traceback"
    assert got == {} and np.allclose(again[0], 1.0)
    assert list(tmp_path.glob("c.sqlite.corrupt-*")), "the damaged file is kept for inspection"


def test_new_version_switches_atomically_and_failed_build_keeps_old(
    tmp_settings, e5_encoder, monkeypatch
):
    store = IndexStore(tmp_settings.index_root)
    with pytest.raises(IndexNotBuiltError):
        store.current_path()
    first = build_index(tmp_settings, encoder=e5_encoder, progress=False).path
    assert store.current_path() == first

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("qis_match.build.DenseIndex.build", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(tmp_settings, encoder=e5_encoder, progress=False)
    assert store.current_path() == first
    assert not list(tmp_settings.index_root.glob(".building-*"))  # cleaned up
    data = store.load()
    assert (data.lines["resource_type"] == "institution").sum() == 28
    assert data.dense.index.d == 384 and data.manifest["dense_index"] == "flat"
    assert set(data.resources["resource_type"]) == {"institution", "expert", "instrument"}


def test_leftovers_of_killed_builds_are_removed_at_the_next_build_or_start(tmp_path):
    import os
    import subprocess
    import sys

    store = IndexStore(tmp_path / "indexes")
    store.root.mkdir(parents=True)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = store.root / f".building-{int(gone.stdout)}-deadbeef"
    live = store.root / f".building-{os.getpid()}-cafe0001"
    unnamed = store.root / ".building-1a2b3c4d"  # the old naming: kept until a day old
    for d in (dead, live, unnamed):
        d.mkdir()
        (d / "vectors.npy").write_bytes(b"0" * 1024)
    fresh = store.new_build_dir()
    assert not dead.exists(), "a killed build's folder is removed at the next build"
    assert live.exists() and unnamed.exists() and fresh.exists()
    shutil.rmtree(fresh)
    old = time.time() - 2 * 86400
    os.utime(unnamed, (old, old))
    assert store.clean_leftovers() == [unnamed.name]
