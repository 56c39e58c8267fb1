"""Hybrid retrieval: dense and BM25 candidates over capability passages, fused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qis_match.retrieval.fusion import blend, rrf
from qis_match.settings import Settings
from qis_match.store.index_store import IndexData


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
    """``mode``: hybrid (default), dense only, or bm25 only — the last two are baselines."""

    def __init__(self, index: IndexData, settings: Settings) -> None:
        self.index = index
        self.mode = settings.retrieval
        self.fusion = settings.fusion
        self.k = settings.candidate_passages
        self.rrf_k = settings.rrf_k
        self.dense_weight = settings.blend_dense_weight
        self.max_terms = settings.max_query_terms

    def retrieve(
        self, qvec: np.ndarray | None, terms: list[str], allowed: np.ndarray | None = None
    ) -> Candidates:
        """Candidates for a query; ``allowed`` (bool per passage) restricts them, e.g. to a category.

        Passages retired by an incremental update are never candidates."""
        ix = self.index
        if ix.retired is not None:
            allowed = ~ix.retired if allowed is None else allowed & ~ix.retired
        ids: list[np.ndarray] = []
        d_ids = b_ids = np.zeros(0, dtype=np.int64)
        if self.mode in ("hybrid", "dense") and qvec is not None:
            _, d = ix.dense.search(qvec, self.k, allowed=allowed)
            d_ids = d[0][d[0] >= 0].astype(np.int64)
            ids.append(d_ids)
        bm_all = None
        if self.mode in ("hybrid", "bm25"):
            bm_all = ix.bm25.scores(terms[: self.max_terms])  # a budget: cost is per term
            b_ids = ix.bm25.top(bm_all, self.k, allowed)
            ids.append(b_ids)
        union = np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=np.int64)
        if union.size == 0:
            z = np.zeros(0, dtype=np.float32)
            return Candidates(union, z, z, z)
        cos = (
            np.asarray(ix.dense.reconstruct(union) @ qvec.ravel(), dtype=np.float32)
            if qvec is not None
            else np.zeros(union.size, dtype=np.float32)
        )
        bm = bm_all[union] if bm_all is not None else np.zeros(union.size, dtype=np.float32)
        n = len(ix.passages)
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
