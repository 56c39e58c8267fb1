"""Calibrated multi-label classification of requests into the 8 QI categories and their sub-services.

Features: character 1–3-grams and jieba terms (TF-IDF) and, for whole requests, the encoder's
query vector. Each category is a one-vs-rest logistic regression wrapped in sigmoid calibration
(``CalibratedClassifierCV``), so a score of 0.8 means about 80 % of such requests truly need that
category — the thresholds for abstaining and flagging for review rest on that.

Two category models are fitted: ``full`` (text + vector) for the whole request, and ``sparse``
(text only) for its clauses, which have no vector of their own (embedding each clause would
double the latency of multi-part requests). Sub-services use a text-only multinomial model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputClassifier

from qis_match.taxonomy import CATEGORY_CODES

MODEL_FILE = "needs_classifier.joblib"
OOD_CENTRE, OOD_SCALE = 0.88, 20.0  # e5 cosines of related Chinese requests sit in 0.85–0.95


def _unit(vectors: np.ndarray) -> np.ndarray:
    v = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _split(doc: str) -> list[str]:
    return doc.split("\u0001")


class CompiledCalibrated:
    """A fitted ``MultiOutputClassifier(CalibratedClassifierCV(LogisticRegression))`` folded into
    one matrix product: sklearn's per-call validation costs ~1 ms for each of the 8 labels × 5
    folds, which would triple a request's latency. Same numbers, one sparse matmul."""

    def __init__(self, model: MultiOutputClassifier) -> None:
        rows, bias, a, b, label = [], [], [], [], []
        for j, est in enumerate(model.estimators_):
            for cc in est.calibrated_classifiers_:
                lr, cal = cc.estimator, cc.calibrators[0]
                rows.append(lr.coef_.ravel())
                bias.append(float(lr.intercept_[0]))
                a.append(float(cal.a_))
                b.append(float(cal.b_))
                label.append(j)
        self.W = sp.csr_matrix(np.vstack(rows).T)  # features × (labels·folds)
        self.bias, self.a, self.b = np.array(bias), np.array(a), np.array(b)
        self.label = np.array(label)
        self.n_labels = len(model.estimators_)

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        d = np.asarray((X @ self.W).todense()) + self.bias
        p = 1.0 / (1.0 + np.exp(self.a * d + self.b))
        out = np.zeros((X.shape[0], self.n_labels))
        np.add.at(out.T, self.label, p.T)
        return out / np.bincount(self.label, minlength=self.n_labels)


@dataclass
class TrainingExample:
    text: str
    categories: list[str]
    sub_services: list[str]
    weight: float = 1.0
    source: str = ""
    resource_types: list[str] | None = None  # aligned with categories; None: all institutions
    route: str | None = None  # where a non-QI request (or the non-QI part) belongs (routing.py)


class NeedClassifier:
    def __init__(
        self, tokenizer=None, C: float = 4.0, vector_weight: float = 1.0, seed: int = 0
    ) -> None:
        self.C = C
        self.vector_weight = vector_weight
        self.seed = seed
        self._tokenizer = tokenizer
        self.char_vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True
        )
        self.word_vec = TfidfVectorizer(analyzer=_split, min_df=1, sublinear_tf=True)
        self.sub_services: list[str] = []

    # --- features
    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from qis_match.text.tokenize import default_tokenizer

            self._tokenizer = default_tokenizer()
        return self._tokenizer

    def _words(self, texts: Sequence[str]) -> list[str]:
        return ["\u0001".join(self.tokenizer.terms(t)) or "\u0002" for t in texts]

    def _sparse(self, texts: Sequence[str], fit: bool = False) -> sp.csr_matrix:
        words = self._words(texts)
        if fit:
            return sp.hstack(
                [self.char_vec.fit_transform(texts), self.word_vec.fit_transform(words)]
            ).tocsr()
        return sp.hstack([self.char_vec.transform(texts), self.word_vec.transform(words)]).tocsr()

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Text features (one row per text), to compute once and pass to the predict methods."""
        return self._sparse(texts)

    def _full(self, sparse: sp.csr_matrix, vectors: np.ndarray) -> sp.csr_matrix:
        return sp.hstack([sparse, sp.csr_matrix(np.asarray(vectors) * self.vector_weight)]).tocsr()

    def _category_model(self) -> MultiOutputClassifier:
        base = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=3000, random_state=self.seed
        )
        return MultiOutputClassifier(
            CalibratedClassifierCV(base, method="sigmoid", cv=5), n_jobs=-1
        )

    # --- fit / predict
    def fit(self, examples: Sequence[TrainingExample], vectors: np.ndarray) -> NeedClassifier:
        texts = [e.text for e in examples]
        y = np.array([[int(c in e.categories) for c in CATEGORY_CODES] for e in examples])
        w = np.array([e.weight for e in examples])
        Xs = self._sparse(texts, fit=True)
        self.vector_dim = int(np.asarray(vectors).shape[1])
        self.full_model = CompiledCalibrated(
            self._category_model().fit(self._full(Xs, vectors), y, sample_weight=w)
        )
        self.sparse_model = CompiledCalibrated(self._category_model().fit(Xs, y, sample_weight=w))
        # The out-of-domain gate: P(the request is a QI need at all), calibrated like the
        # categories and on the same features, so that real non-QI text (reviews, complaints,
        # hiring) is kept out even when one category's words appear in it.
        is_qi = y.any(axis=1)
        unit = _unit(vectors)
        self.qi_vectors = unit[is_qi].astype(np.float32)
        # Leave-one-out: a training request's nearest QI neighbour is another request, as a new
        # request's will be.
        loo = np.full(len(examples), -1, dtype=np.int64)
        loo[is_qi] = np.arange(int(is_qi.sum()))
        self.gate_model = CompiledCalibrated(
            self._category_model().fit(
                self._gate_features(Xs, vectors, loo),
                is_qi.astype(int)[:, None],
                sample_weight=w,
            )
        )
        self._fit_route_model(examples, Xs)
        rows, labels, weights = [], [], []
        for i, e in enumerate(examples):
            for s in e.sub_services:
                rows.append(i)
                labels.append(s)
                weights.append(e.weight / len(e.sub_services))
        self.sub_model = LogisticRegression(C=self.C, max_iter=3000, random_state=self.seed).fit(
            Xs[rows], labels, sample_weight=weights
        )
        self.sub_services = list(self.sub_model.classes_)
        # Resource kind (institution, expert …), from requests whose needs all call
        # for one type: a multinomial model on the text alone, so that it can read a clause.
        rows, labels, weights = [], [], []
        for i, e in enumerate(examples):
            if not e.categories:
                continue
            types = set(e.resource_types or ["institution"])
            if len(types) == 1:
                rows.append(i)
                labels.append(types.pop())
                weights.append(e.weight)
        self.resource_model = None
        if len(set(labels)) > 1:
            self.resource_model = LogisticRegression(
                C=self.C, max_iter=3000, class_weight="balanced", random_state=self.seed
            ).fit(Xs[rows], labels, sample_weight=weights)
        return self

    def _fit_route_model(self, examples: Sequence[TrainingExample], Xs: sp.csr_matrix) -> None:
        """Channel of a non-QI request, from the routed requests that have no QI need."""
        rows = [i for i, e in enumerate(examples) if e.route and not e.categories]
        labels = [examples[i].route for i in rows]
        self.route_model = None
        if len(set(labels)) > 1:
            self.route_model = LogisticRegression(
                C=self.C, max_iter=3000, class_weight="balanced", random_state=self.seed
            ).fit(Xs[rows], labels, sample_weight=[examples[i].weight for i in rows])

    def qi_proba(
        self, texts: Sequence[str], vectors: np.ndarray, X: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """P(the text is a QI need at all), shape (n,); 1.0 for a model trained without a gate."""
        if getattr(self, "gate_model", None) is None:
            return np.ones(len(texts))
        return self.gate_model.predict(
            self._gate_features(self._sparse(texts) if X is None else X, vectors)
        )[:, 0]

    def nearest_qi_similarity(
        self, vectors: np.ndarray, loo: np.ndarray | None = None
    ) -> np.ndarray:
        """Cosine to the nearest QI training request: how far a text is from everything the
        engine was taught to serve (the out-of-domain score). ``loo[i]`` ≥ 0 leaves out row
        ``loo[i]`` of the QI set (the text itself, at training)."""
        v = _unit(vectors)
        # One request: einsum, not BLAS. OpenBLAS threads keep spinning after a matmul and take
        # the cores the encoder needs next (measured: 44 → 17 ms per request on 2 cores).
        sims = np.einsum("ij,kj->ik", v, self.qi_vectors) if len(v) <= 8 else v @ self.qi_vectors.T
        if loo is not None:
            rows = np.flatnonzero(loo >= 0)
            sims[rows, loo[rows]] = -1.0
        return sims.max(axis=1) if sims.shape[1] else np.zeros(len(sims))

    def _gate_features(
        self, sparse: sp.csr_matrix, vectors: np.ndarray, loo: np.ndarray | None = None
    ) -> sp.csr_matrix:
        """Text and vector features plus the out-of-domain score, centred and scaled to the
        range of e5 cosines (0.8–1.0), so that one regularised weight can use it."""
        ood = (self.nearest_qi_similarity(vectors, loo) - OOD_CENTRE) * OOD_SCALE
        return sp.hstack([self._full(sparse, vectors), sp.csr_matrix(ood[:, None])]).tocsr()

    def route_proba(self, texts: Sequence[str], X: sp.csr_matrix | None = None) -> list[dict]:
        """P(channel | text) for non-QI text; empty dicts when no route model was trained."""
        if getattr(self, "route_model", None) is None:
            return [{} for _ in texts]
        p = self.route_model.predict_proba(self._sparse(texts) if X is None else X)
        return [
            {str(k): float(v) for k, v in zip(self.route_model.classes_, row, strict=True)}
            for row in p
        ]

    def predict_proba(
        self, texts: Sequence[str], vectors: np.ndarray, X: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """P(category | request) for whole requests, shape (n, 8) in CATEGORY_CODES order."""
        return self.full_model.predict(self._full(self._sparse(texts) if X is None else X, vectors))

    def predict_clause_proba(
        self, texts: Sequence[str], X: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """P(category | clause) from text alone, shape (n, 8)."""
        return self.sparse_model.predict(self._sparse(texts) if X is None else X)

    def predict_sub_service(
        self, texts: Sequence[str], X: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """P(sub-service | text), shape (n, len(self.sub_services))."""
        return self.sub_model.predict_proba(self._sparse(texts) if X is None else X)

    def resource_proba(
        self, texts: Sequence[str], X: sp.csr_matrix | None = None
    ) -> list[dict[str, float]]:
        """P(resource type | text) for each text; institutions only when no model was trained."""
        if getattr(self, "resource_model", None) is None:
            return [{"institution": 1.0} for _ in texts]
        p = self.resource_model.predict_proba(self._sparse(texts) if X is None else X)
        return [
            {str(k): float(v) for k, v in zip(self.resource_model.classes_, row, strict=True)}
            for row in p
        ]

    def best_sub_service(
        self, text: str, category: str, X: sp.csr_matrix | None = None
    ) -> tuple[str | None, float]:
        probs = self.predict_sub_service([text], X)[0]
        best, best_p = None, -1.0
        for s, p in zip(self.sub_services, probs, strict=True):
            if s.startswith(category + ".") and p > best_p:
                best, best_p = s, float(p)
        return best, best_p

    # --- persistence
    def save(self, directory: Path) -> Path:
        path = Path(directory) / MODEL_FILE
        tk, self._tokenizer = self._tokenizer, None  # the tokenizer is rebuilt on load, not pickled
        try:
            joblib.dump(self, path)
        finally:
            self._tokenizer = tk
        return path

    @staticmethod
    def load(directory: Path) -> NeedClassifier | None:
        path = Path(directory) / MODEL_FILE
        return joblib.load(path) if path.exists() else None
