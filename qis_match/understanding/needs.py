"""Which QI service categories a request needs, with a score, or none at all.

Two kinds of evidence, combined:
- retrieval: the categories of the best-matching capability passages, weighted by their fused
  score (what the catalog says the request resembles);
- keywords: taxonomy synonyms found in the text (what the enterprise literally asked for).

A request with no QI keyword and only weak dense similarity to every capability is not a QI need
(税务、招聘、外卖 …): it gets no needs and no referrals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from qis_match.retrieval.hybrid import Candidates
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy


@dataclass(frozen=True)
class Need:
    """One QI service the request involves, with the words it came from."""

    category: str
    score: float
    name: str = ""
    sub_service: str | None = None
    sub_service_name: str | None = None
    text: str | None = None  # the part of the request it came from
    start: int | None = None
    end: int | None = None
    source: str = "retrieval"  # retrieval | classifier | signal
    resource_type: str = "institution"  # the resource kind that serves this need (kinds registry)
    status: str = "wanted"  # wanted | done | declined (understanding/status.py)
    status_cue: str = ""  # the words that made it done or declined

    def to_dict(self) -> dict:
        return {
            "category": self.category,
            "name": self.name,
            "score": round(float(self.score), 4),
            "sub_service": self.sub_service,
            "sub_service_name": self.sub_service_name,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "source": self.source,
            "resource_type": self.resource_type,
            "status": self.status,
            "status_cue": self.status_cue,
        }


class KeywordSpotter:
    """Taxonomy synonyms found in a text, longest first so that 计量检定 is not also 检定."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.owner = taxonomy.keywords()
        self.words = sorted(self.owner, key=len, reverse=True)

    def hits(self, text: str) -> list[tuple[str, str]]:
        """(keyword, category) pairs, non-overlapping."""
        upper = text.upper()
        taken = np.zeros(len(text) + 1, dtype=bool)
        out = []
        for w in self.words:
            start = upper.find(w.upper())
            while start != -1:
                end = start + len(w)
                if not taken[start:end].any():
                    taken[start:end] = True
                    out.append((w, self.owner[w]))
                start = upper.find(w.upper(), end)
        return out


class NeedDetector:
    def __init__(
        self,
        taxonomy: Taxonomy,
        passage_category: np.ndarray,
        min_share: float = 0.2,
        abstain_min_dense: float = 0.8,
        top_n: int = 20,
        keyword_weight: float = 0.4,
    ) -> None:
        self.taxonomy = taxonomy
        self.passage_category = passage_category  # category index per passage
        self.spotter = KeywordSpotter(taxonomy)
        self.min_share = min_share
        self.abstain_min_dense = abstain_min_dense
        self.top_n = top_n
        self.keyword_weight = keyword_weight

    def detect(
        self, text: str, qvec: np.ndarray | None, cands: Candidates
    ) -> tuple[list[Need], dict]:
        """Needs best first, and the signals behind them (for evidence and review)."""
        hits = self.spotter.hits(text)
        kw = Counter(cat for _, cat in hits)
        best_cos = float(cands.dense_cos.max()) if len(cands) else 0.0
        signals = {"keywords": [w for w, _ in hits], "best_cosine": round(best_cos, 4)}
        if not kw and best_cos < self.abstain_min_dense:
            signals["abstain"] = "no QI keyword and no capability close enough"
            return [], signals
        n_cat = len(CATEGORY_CODES)
        retrieval = np.zeros(n_cat, dtype=np.float64)
        top = slice(0, self.top_n)
        cats = self.passage_category[cands.passage_ids[top]]
        weights = np.asarray(cands.score[top], dtype=np.float64) ** 2
        np.add.at(retrieval, cats, weights)
        if retrieval.sum() > 0:
            retrieval /= retrieval.sum()
        keyword = np.zeros(n_cat, dtype=np.float64)
        for cat, count in kw.items():
            keyword[CATEGORY_CODES.index(cat)] = count
        if keyword.sum() > 0:
            keyword /= keyword.max()
            combined = (1 - self.keyword_weight) * retrieval + self.keyword_weight * keyword
        else:
            combined = retrieval
        best = combined.max()
        if best <= 0:
            return [], signals
        needs = [
            Need(code, float(combined[i]), self.taxonomy.category(code).name)
            for i, code in enumerate(CATEGORY_CODES)
            if combined[i] >= self.min_share * best
        ]
        needs.sort(key=lambda n: -n.score)
        return needs, signals
