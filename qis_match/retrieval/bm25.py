"""Okapi BM25 over jieba terms, as sparse matrices: what a search engine with a Chinese analyzer
would give, and the lexical half of hybrid retrieval (exact codes such as ``GB 4706.1-2005``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.weights = sp.csc_matrix((0, 0), dtype=np.float32)  # docs × terms, BM25 tf part

    def fit(self, docs: Sequence[Sequence[str]]) -> BM25Index:
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for d, terms in enumerate(docs):
            lengths[d] = len(terms)
            for term, tf in Counter(terms).items():
                j = self.vocab.setdefault(term, len(self.vocab))
                rows.append(d)
                cols.append(j)
                tfs.append(tf)
        n = len(docs)
        tf = np.asarray(tfs, dtype=np.float32)
        avgdl = float(lengths.mean()) if n else 1.0
        dl = lengths[np.asarray(rows, dtype=np.int64)] if rows else np.zeros(0, dtype=np.float32)
        w = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * dl / max(avgdl, 1e-9)))
        self.weights = sp.csc_matrix(
            (w, (rows, cols)), shape=(n, len(self.vocab)), dtype=np.float32
        )
        df = np.diff(self.weights.indptr).astype(np.float32)
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        return self

    def __len__(self) -> int:
        return self.weights.shape[0]

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query terms."""
        counts = Counter(t for t in terms if t in self.vocab)
        if not counts:
            return np.zeros(len(self), dtype=np.float32)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64)
        qw = np.fromiter(counts.values(), dtype=np.float32) * self.idf[ids]
        return np.asarray(self.weights[:, ids] @ qw, dtype=np.float32).ravel()

    def search(self, terms: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        s = self.scores(terms)
        k = max(0, min(k, int((s > 0).sum())))
        if k == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        return s[top], top

    def save(self, directory: Path) -> None:
        sp.save_npz(directory / "bm25_weights.npz", self.weights.tocsc())
        np.save(directory / "bm25_idf.npy", self.idf)
        with open(directory / "bm25_vocab.json", "w", encoding="utf-8") as fh:
            json.dump({"k1": self.k1, "b": self.b, "vocab": self.vocab}, fh, ensure_ascii=False)

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        with open(directory / "bm25_vocab.json", encoding="utf-8") as fh:
            meta = json.load(fh)
        obj = cls(meta["k1"], meta["b"])
        obj.vocab = meta["vocab"]
        obj.weights = sp.load_npz(directory / "bm25_weights.npz").tocsc()
        obj.idf = np.load(directory / "bm25_idf.npy")
        return obj
