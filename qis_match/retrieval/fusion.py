"""Fusing dense and lexical candidate lists into one score per passage.

Two strategies, chosen by settings and compared on the dev set (README):
- ``rrf``: reciprocal rank fusion, sum of 1/(k + rank); ignores score magnitudes.
- ``blend``: a weighted sum of per-query normalised scores (cosine rescaled from the candidate
  floor to the best; BM25 divided by its best), which keeps "how much better" information.
"""

from __future__ import annotations

import numpy as np


def rrf(ranked_lists: list[np.ndarray], n: int, k: int = 60) -> np.ndarray:
    """Scores over ``n`` passages from ranked id lists (best first)."""
    out = np.zeros(n, dtype=np.float32)
    for ids in ranked_lists:
        for rank, pid in enumerate(ids):
            out[pid] += 1.0 / (k + rank + 1)
    return out


def normalise_dense(cos: np.ndarray) -> np.ndarray:
    """Rescale cosines of the candidate set to [0, 1], floor at the weakest candidate."""
    if cos.size == 0:
        return cos
    lo, hi = float(cos.min()), float(cos.max())
    return (cos - lo) / (hi - lo) if hi > lo else np.ones_like(cos)


def blend(dense_cos: np.ndarray, bm25: np.ndarray, dense_weight: float) -> np.ndarray:
    """Weighted sum of normalised dense and BM25 scores over the same candidate set."""
    b = bm25 / bm25.max() if bm25.size and bm25.max() > 0 else np.zeros_like(bm25)
    return dense_weight * normalise_dense(dense_cos) + (1 - dense_weight) * b
