"""Dense retrieval over passage embeddings with FAISS (inner product on L2-normalised vectors).

The index kind follows the catalog's size: exact search (``flat``) while it is cheap, and above
``ann_threshold`` distinct passages an approximate index — IVF over half-precision vectors
(``ivf-fp16``, half the memory of float vectors, the default: its recall@10 against exact search
is ≥ 0.95, measured in benchmarks/RESULTS.md), IVF with 8-bit scalar quantisation (``ivf-sq8``, a
quarter), IVF with product quantisation (``ivf-pq``, least memory, lowest recall) or HNSW (``hnsw``;
on catalogs with many near-identical lines — one standard, many labs' 限制范围 notes — its recall
was poor here, so it is never chosen automatically). FAISS ids are passage ids, so
new passages can be appended by an incremental update; a restriction (a need's category, passages
no longer in the catalog) is applied inside the search with an id selector, not by searching deeper.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)
KINDS = ("flat", "ivf-fp16", "ivf-sq8", "ivf-pq", "hnsw")
NPROBE_SHARE = 0.08  # lists probed when ivf_nprobe is 0 (auto): recall ≥ 0.95 at 45k and 420k
IVF_TRAIN_PER_LIST = 40  # k-means sample per list: FAISS warns below 39


def choose_kind(n: int, requested: str = "auto", threshold: int = 100_000) -> str:
    """The index kind for ``n`` passages: exact below the threshold unless told otherwise."""
    if requested != "auto":
        if requested not in KINDS:
            raise ValueError(f"unknown dense index {requested!r}; one of auto, {', '.join(KINDS)}")
        return requested
    return "flat" if n < threshold else "ivf-fp16"


def _nlist(n: int) -> int:
    """IVF lists: about 4·√n (FAISS's guideline), at least 1, at most n / 39 (trainable)."""
    return max(1, min(int(4 * math.sqrt(n)), n // 39))


class DenseIndex:
    """A FAISS index plus the search-time knobs of its kind."""

    def __init__(
        self, index: faiss.Index, kind: str = "flat", ef_search: int = 128, nprobe: int = 0
    ) -> None:
        self.index = index
        self.kind = kind
        self.ef_search = ef_search
        if kind.startswith("ivf") and nprobe <= 0:
            nlist = faiss.extract_index_ivf(index).nlist
            nprobe = max(16, math.ceil(NPROBE_SHARE * nlist))
        self.nprobe = nprobe

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        kind: str = "flat",
        hnsw_m: int = 32,
        ef_search: int = 128,
        nprobe: int = 0,
        seed: int = 7,
    ) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = max(80, 2 * hnsw_m)
        elif kind in ("ivf-fp16", "ivf-sq8", "ivf-pq"):
            quantizer = faiss.IndexFlatIP(dim)
            nlist = _nlist(n)
            if kind in ("ivf-fp16", "ivf-sq8"):
                qt = (
                    faiss.ScalarQuantizer.QT_fp16
                    if kind == "ivf-fp16"
                    else faiss.ScalarQuantizer.QT_8bit
                )
                index = faiss.IndexIVFScalarQuantizer(
                    quantizer, dim, nlist, qt, faiss.METRIC_INNER_PRODUCT
                )
            else:
                m = next(m for m in (48, 32, 24, 16, 12, 8, 4, 2, 1) if dim % m == 0)
                index = faiss.IndexIVFPQ(quantizer, dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
            sample = vectors
            if n > nlist * IVF_TRAIN_PER_LIST * 4:
                rng = np.random.default_rng(seed)
                sample = vectors[
                    np.sort(rng.choice(n, nlist * IVF_TRAIN_PER_LIST * 4, replace=False))
                ]
            index.train(sample)
            index.make_direct_map()  # reconstruct(id): cosines of candidates without vectors.npy
        else:
            raise ValueError(f"unknown dense index {kind!r}")
        obj = cls(index, kind, ef_search, nprobe)
        obj.add(vectors)
        return obj

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; their ids continue from the current size (passage ids)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors):
            self.index.add(vectors)  # an IVF's direct map (id → code) grows with it

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def _params(self, allowed: np.ndarray | None):
        """Search parameters of this kind, with an id selector when ``allowed`` restricts."""
        sel = None
        if allowed is not None:
            bits = np.packbits(allowed.astype(bool), bitorder="little")
            sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
            sel._bits = bits  # keep the bitmap alive as long as the selector
        if self.kind == "hnsw":
            p = faiss.SearchParametersHNSW()
            p.efSearch = self.ef_search
        elif self.kind.startswith("ivf"):
            p = faiss.SearchParametersIVF()
            p.nprobe = self.nprobe
        else:
            p = faiss.SearchParameters()
        if sel is not None:
            p.sel = sel
            p._sel = sel
        return p

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k); ids are -1 where fewer than k exist.

        ``allowed`` (bool per passage) restricts the search to those passages."""
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self)))
        if self.kind == "hnsw":
            k_eff = min(k, self.ef_search)
            d, i = self.index.search(q, k_eff, params=self._params(allowed))
            if k_eff < k:
                pad = ((0, 0), (0, k - k_eff))
                d, i = np.pad(d, pad, constant_values=-np.inf), np.pad(i, pad, constant_values=-1)
            return d, i
        return self.index.search(q, k, params=self._params(allowed))

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors of ``ids`` (approximate for quantised kinds)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_batch(ids)

    def memory_bytes(self) -> int:
        """Approximate size of the index in memory (its serialised size)."""
        return int(faiss.serialize_index(self.index).nbytes)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, ef_search: int = 128, nprobe: int = 0) -> DenseIndex:
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSW):
            kind = "hnsw"
        elif isinstance(index, faiss.IndexIVFPQ):
            kind = "ivf-pq"
        elif isinstance(index, faiss.IndexIVFScalarQuantizer):
            fp16 = index.sq.qtype == faiss.ScalarQuantizer.QT_fp16
            kind = "ivf-fp16" if fp16 else "ivf-sq8"
        else:
            kind = "flat"
        ivf = faiss.extract_index_ivf(index) if kind.startswith("ivf") else None
        if ivf is not None and ivf.direct_map.type == faiss.DirectMap.NoMap:  # saved without one
            ivf.make_direct_map()
        return cls(index, kind, ef_search, nprobe)


def recall_at_k(approx: DenseIndex, exact: DenseIndex, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-k that the approximate index also returns (recall@k)."""
    _, truth = exact.search(queries, k)
    _, got = approx.search(queries, k)
    hits = [
        len(set(t[t >= 0]) & set(g[g >= 0])) / max(1, (t >= 0).sum())
        for t, g in zip(truth, got, strict=True)
    ]
    return float(np.mean(hits))
