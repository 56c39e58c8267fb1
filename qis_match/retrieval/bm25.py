"""Okapi BM25 over jieba terms, as sparse matrices: what a search engine with a Chinese analyzer
would give, and the lexical half of hybrid retrieval (exact codes such as ``GB 4706.1-2005``).

The raw term counts and document lengths are what is stored; the BM25 weights and idf are derived
from them over the *live* documents. So an incremental update (documents appended, others
retired) leaves exactly the statistics a fresh fit over the live documents would give.
"""

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
        self.tf = sp.csr_matrix((0, 0), dtype=np.float32)  # docs × terms, raw counts
        self.lengths = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.idf = np.zeros(0, dtype=np.float32)
        self.weights = sp.csc_matrix((0, 0), dtype=np.float32)  # docs × terms, BM25 tf part

    def _counts(self, docs: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for d, terms in enumerate(docs):
            lengths[d] = len(terms)
            for term, tf in Counter(terms).items():
                rows.append(d)
                cols.append(self.vocab.setdefault(term, len(self.vocab)))
                tfs.append(tf)
        m = sp.csr_matrix(
            (np.asarray(tfs, dtype=np.float32), (rows, cols)),
            shape=(len(docs), len(self.vocab)),
            dtype=np.float32,
        )
        return m, lengths

    def fit(self, docs: Sequence[Sequence[str]]) -> BM25Index:
        self.vocab = {}
        self.tf, self.lengths = self._counts(docs)
        self.alive = np.ones(len(docs), dtype=bool)
        return self._derive()

    def add(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Append documents (live); returns their ids. Statistics are re-derived."""
        first = self.tf.shape[0]
        new, lengths = self._counts(docs)
        old = sp.csr_matrix(  # same arrays, wider: the loaded index is never modified in place
            (self.tf.data, self.tf.indices, self.tf.indptr),
            shape=(self.tf.shape[0], len(self.vocab)),
        )
        self.tf = sp.vstack([old, new], format="csr", dtype=np.float32)
        self.lengths = np.concatenate([self.lengths, lengths])
        self.alive = np.concatenate([self.alive, np.ones(len(docs), dtype=bool)])
        self._derive()
        return np.arange(first, first + len(docs))

    def set_alive(self, alive: np.ndarray) -> None:
        """Which documents count (a retired document scores 0 and leaves the statistics)."""
        if alive.shape != self.alive.shape:
            raise ValueError(f"alive mask has {alive.shape[0]} entries, index has {len(self)}")
        self.alive = alive.astype(bool)
        self._derive()

    def _derive(self) -> BM25Index:
        """Weights and idf from counts, over live documents only."""
        if self.alive.all():  # a fresh build or load: no copy to zero retired rows
            tf = self.tf.tocoo()
        else:
            tf = (sp.diags(self.alive.astype(np.float32)) @ self.tf).tocoo()
        n = int(self.alive.sum())
        avgdl = float(self.lengths[self.alive].mean()) if n else 1.0
        dl = self.lengths[tf.row]
        w = (
            tf.data
            * (self.k1 + 1)
            / (tf.data + self.k1 * (1 - self.b + self.b * dl / max(avgdl, 1e-9)))
        )
        self.weights = sp.csc_matrix(
            (w.astype(np.float32), (tf.row, tf.col)), shape=self.tf.shape, dtype=np.float32
        )
        self.weights.eliminate_zeros()
        df = np.diff(self.weights.indptr).astype(np.float32)
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        return self

    def __len__(self) -> int:
        return self.tf.shape[0]

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query terms."""
        counts = Counter(t for t in terms if t in self.vocab)
        if not counts:
            return np.zeros(len(self), dtype=np.float32)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64)
        qw = np.fromiter(counts.values(), dtype=np.float32) * self.idf[ids]
        return np.asarray(self.weights[:, ids] @ qw, dtype=np.float32).ravel()

    @staticmethod
    def top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Ids of the ``k`` best positive scores, best first (within ``allowed`` if given)."""
        s = scores if allowed is None else np.where(allowed, scores, 0.0)
        positive = np.flatnonzero(s > 0)
        if positive.size > k:
            positive = positive[np.argpartition(-s[positive], k - 1)[:k]]
        return positive[np.argsort(-s[positive], kind="stable")]

    def search(self, terms: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        s = self.scores(terms)
        top = self.top(s, k)
        return s[top], top

    def save(self, directory: Path) -> None:
        sp.save_npz(directory / "bm25_tf.npz", self.tf.tocsr())
        np.save(directory / "bm25_lengths.npy", self.lengths)
        np.save(directory / "bm25_alive.npy", self.alive)
        with open(directory / "bm25_vocab.json", "w", encoding="utf-8") as fh:
            json.dump({"k1": self.k1, "b": self.b, "vocab": self.vocab}, fh, ensure_ascii=False)

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        with open(directory / "bm25_vocab.json", encoding="utf-8") as fh:
            meta = json.load(fh)
        obj = cls(meta["k1"], meta["b"])
        obj.vocab = meta["vocab"]
        obj.tf = sp.load_npz(directory / "bm25_tf.npz").tocsr().astype(np.float32)
        obj.lengths = np.load(directory / "bm25_lengths.npy")
        obj.alive = np.load(directory / "bm25_alive.npy")
        return obj._derive()
