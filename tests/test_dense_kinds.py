"""Dense index kinds (issue #6): chosen by size, restricted inside the search, saved and loaded
with their kind, appendable, and the approximate ones close to exact search."""

from __future__ import annotations

import numpy as np
import pytest

from qis_match.retrieval.dense import KINDS, DenseIndex, choose_kind, recall_at_k


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(40, 64)).astype(np.float32)
    x = centres[rng.integers(0, 40, 4000)] + 0.4 * rng.normal(size=(4000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[rng.integers(0, 4000, 60)] + 0.2 * rng.normal(size=(60, 64)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return x, q


def test_kind_follows_size_unless_told():
    assert choose_kind(19_999, "auto", 20_000) == "flat"
    assert choose_kind(20_000, "auto", 20_000) == "ivf-fp16"
    assert choose_kind(10, "hnsw", 20_000) == "hnsw"
    with pytest.raises(ValueError, match="unknown dense index"):
        choose_kind(10, "annoy", 20_000)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_filters_inside_the_search_and_round_trips(kind, data, tmp_path):
    x, q = data
    ix = DenseIndex.build(x, kind)
    allowed = np.zeros(len(x), dtype=bool)
    allowed[::5] = True
    _, ids = ix.search(q[:10], 20, allowed=allowed)
    got = ids[ids >= 0]
    assert got.size > 0 and (got % 5 == 0).all()
    ix.save(tmp_path / "d.faiss")
    back = DenseIndex.load(tmp_path / "d.faiss")
    assert back.kind == kind
    assert np.array_equal(back.search(q[:5], 10)[1], ix.search(q[:5], 10)[1])
    # Cosines of candidates come back from the index itself (no vectors file at serve time).
    assert np.allclose(
        ix.reconstruct(np.array([0, 7])),
        x[[0, 7]],
        atol=0.05 if kind in ("ivf-sq8", "ivf-pq") else 1e-3,
    )


def test_appended_vectors_get_the_next_ids(data):
    x, _ = data
    ix = DenseIndex.build(x[:3000], "ivf-fp16")
    ix.add(x[3000:3010])
    assert len(ix) == 3010
    assert ix.search(x[3005], 1)[1][0][0] == 3005


def test_approximate_index_recall_against_exact(data):
    x, q = data
    exact = DenseIndex.build(x, "flat")
    assert recall_at_k(DenseIndex.build(x, "ivf-fp16"), exact, q, 10) >= 0.95
    assert recall_at_k(exact, exact, q, 10) == 1.0
