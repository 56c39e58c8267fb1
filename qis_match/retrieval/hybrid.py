"""Hybrid retrieval: dense and BM25 candidates over capability passages, fused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qis_match.retrieval.fusion import blend, rrf
from qis_match.settings import Settings


@dataclass
class Candidates:
    """Passages retrieved for one query, best first."""

    passage_ids: np.ndarray
    score: np.ndarray  # fused, in [0, 1], best = 1
    dense_cos: np.ndarray  # raw cosine (absolute signal for abstention)
    bm25: np.ndarray  # raw BM25

    def __len__(self) -> int:
        return len(self.passage_ids)


class HybridRetriever:
    """``mode``: hybrid (default), dense only, or bm25 only — the last two are baselines.

    It is given what it searches (the dense and BM25 indexes, the passage count, the passages
    an update retired) and its tunables, not the index version or the settings."""

    def __init__(
        self,
        dense,
        bm25,
        n_passages: int,
        retired: np.ndarray | None = None,
        mode: str = "hybrid",
        fusion: str = "blend",
        k: int = 120,
        rrf_k: int = 60,
        dense_weight: float = 0.6,
        max_terms: int = 64,
    ) -> None:
        self.dense, self.bm25, self.n, self.retired = dense, bm25, n_passages, retired
        self.mode = mode
        self.fusion = fusion
        self.k = k
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.max_terms = max_terms

    @classmethod
    def from_index(cls, index, settings: Settings) -> HybridRetriever:
        """Over an index version (``IndexData``), with the settings' retrieval tunables."""
        return cls(
            index.dense,
            index.bm25,
            len(index.passages),
            index.retired,
            settings.retrieval,
            settings.fusion,
            settings.candidate_passages,
            settings.rrf_k,
            settings.blend_dense_weight,
            settings.max_query_terms,
        )

    def retrieve(
        self, qvec: np.ndarray | None, terms: list[str], allowed: np.ndarray | None = None
    ) -> Candidates:
        """Candidates for a query; ``allowed`` (bool per passage) restricts them, e.g. to a category.

        Passages retired by an incremental update are never candidates."""
        if self.retired is not None:
            allowed = ~self.retired if allowed is None else allowed & ~self.retired
        ids: list[np.ndarray] = []
        d_ids = b_ids = np.zeros(0, dtype=np.int64)
        if self.mode in ("hybrid", "dense") and qvec is not None:
            _, d = self.dense.search(qvec, self.k, allowed=allowed)
            d_ids = d[0][d[0] >= 0].astype(np.int64)
            ids.append(d_ids)
        bm_all = None
        if self.mode in ("hybrid", "bm25"):
            bm_all = self.bm25.scores(terms[: self.max_terms])  # a budget: cost is per term
            b_ids = self.bm25.top(bm_all, self.k, allowed)
            ids.append(b_ids)
        union = np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=np.int64)
        if union.size == 0:
            z = np.zeros(0, dtype=np.float32)
            return Candidates(union, z, z, z)
        cos = (
            np.asarray(self.dense.reconstruct(union) @ qvec.ravel(), dtype=np.float32)
            if qvec is not None
            else np.zeros(union.size, dtype=np.float32)
        )
        bm = bm_all[union] if bm_all is not None else np.zeros(union.size, dtype=np.float32)
        n = self.n
        if self.mode == "dense":
            score = cos.copy()
        elif self.mode == "bm25":
            score = bm.copy()
        elif self.fusion == "rrf":
            score = rrf([d_ids, b_ids], n, self.rrf_k)[union]
        else:
            score = blend(cos, bm, self.dense_weight)
        top = float(score.max())
        score = score / top if top > 0 else score
        order = np.argsort(-score, kind="stable")
        return Candidates(union[order], score[order], cos[order], bm[order])
