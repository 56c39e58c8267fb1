import math

import numpy as np

from qis_match.retrieval.bm25 import BM25Index
from qis_match.retrieval.dense import DenseIndex
from qis_match.retrieval.fusion import blend, normalise_dense, rrf


def test_bm25_matches_the_okapi_formula(tmp_path):
    docs = [["压力表", "检定"], ["电子天平", "校准"], ["压力表", "校准", "压力表"]]
    bm = BM25Index(k1=1.2, b=0.75).fit(docs)
    s = bm.scores(["压力表"])
    n, df, avgdl = 3, 2, 7 / 3
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    expect0 = idf * 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / avgdl))
    expect2 = idf * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / avgdl))
    assert np.allclose(s, [expect0, 0.0, expect2], rtol=1e-5)
    scores, ids = bm.search(["压力表"], 10)
    assert list(ids) == [2, 0]  # only documents that contain the term
    bm.save(tmp_path)
    assert np.allclose(BM25Index.load(tmp_path).scores(["压力表"]), s)
    assert bm.search(["不存在"], 5)[1].size == 0


def test_dense_index_exact_inner_product(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    ix = DenseIndex.build(v)
    scores, ids = ix.search(v[7], 3)
    assert ids[0][0] == 7 and math.isclose(scores[0][0], 1.0, rel_tol=1e-5)
    ix.save(tmp_path / "d.faiss")
    assert DenseIndex.load(tmp_path / "d.faiss").search(v[7], 1)[1][0][0] == 7


def test_fusion():
    s = rrf([np.array([2, 0]), np.array([0, 1])], n=3, k=60)
    assert s[0] > s[2] > 0 and s[0] > s[1]
    assert np.allclose(normalise_dense(np.array([0.8, 0.9, 0.85])), [0, 1, 0.5])
    b = blend(np.array([0.8, 0.9]), np.array([4.0, 0.0]), dense_weight=0.6)
    assert np.allclose(b, [0.4, 0.6])
