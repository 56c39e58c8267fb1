"""Need understanding: split a request into its needs, each with category, sub-service and span.

The whole request is classified (calibrated probabilities, text + vector); so is each clause
(text only), which finds a need that a long request dilutes; strong signals settle what they
cover. A category is a need when the request's probability clears ``threshold``, a clause's
clears ``clause_threshold``, or a signal fires. Nothing clears → no QI need, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qis_match.retrieval.hybrid import Candidates
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy
from qis_match.understanding.classifier import NeedClassifier
from qis_match.understanding.needs import Need
from qis_match.understanding.segment import Span, split_clauses
from qis_match.understanding.signals import find_signals, resource_signals


@dataclass
class NeedUnderstanding:
    classifier: NeedClassifier
    taxonomy: Taxonomy
    threshold: float = 0.5
    clause_threshold: float = 0.7
    uncertain_below: float = 0.65

    def detect(
        self, text: str, qvec: np.ndarray | None, cands: Candidates | None = None
    ) -> tuple[list[Need], dict]:
        vec = (
            np.zeros((1, self.classifier.vector_dim), dtype=np.float32)
            if qvec is None
            else np.atleast_2d(qvec)
        )
        clauses = split_clauses(text)
        # Text features once for the request and its clauses: every need's span is one of them.
        texts = list(dict.fromkeys([text, *(c.text for c in clauses)]))
        X = self.classifier.features(texts)
        row = {t: X[i] for i, t in enumerate(texts)}
        p_full = self.classifier.predict_proba([text], vec, X=row[text])[0]
        p_clause = (
            self.classifier.predict_clause_proba(
                [c.text for c in clauses], X=X[[texts.index(c.text) for c in clauses]]
            )
            if len(clauses) > 1
            else p_full[None, :]
        )
        hits = find_signals(text)
        floor = np.zeros(len(CATEGORY_CODES))
        for h in hits:
            i = CATEGORY_CODES.index(h.category)
            floor[i] = max(floor[i], h.floor)
        score = np.maximum(p_full, floor)
        clause_max = p_clause.max(axis=0)
        present = (score >= self.threshold) | (clause_max >= self.clause_threshold)
        signals: dict = {
            "probabilities": {
                c: round(float(p), 4) for c, p in zip(CATEGORY_CODES, p_full, strict=True)
            },
            "strong_signals": [h.rule for h in hits],
            "clauses": [c.text for c in clauses],
        }
        if not present.any():
            best = int(np.argmax(p_full))
            signals["abstain"] = (
                f"未识别到质量基础设施服务需求（最可能为{self.taxonomy.category(CATEGORY_CODES[best]).name}，"
                f"概率仅 {p_full[best]:.2f}）"
            )
            return [], signals
        needs = []
        subs = self.taxonomy.sub_services
        for i in np.flatnonzero(present):
            code = CATEGORY_CODES[i]
            span = self._span(
                text, clauses, p_clause[:, i], [h for h in hits if h.category == code]
            )
            signal_sub = next((h.sub_service for h in hits if h.category == code), None)
            sub, _ = (
                (signal_sub, 1.0)
                if signal_sub
                else self.classifier.best_sub_service(span.text, code, X=row.get(span.text))
            )
            source = "signal" if floor[i] >= p_full[i] and floor[i] > 0 else "classifier"
            resource_type = self._resource_type(span.text, row.get(span.text))
            needs.append(
                Need(
                    category=code,
                    score=float(max(score[i], clause_max[i] if len(clauses) > 1 else 0.0)),
                    name=self.taxonomy.category(code).name,
                    sub_service=sub,
                    sub_service_name=subs[sub].name if sub in subs else None,
                    text=span.text,
                    start=span.start,
                    end=span.end,
                    source=source,
                    resource_type=resource_type,
                )
            )
        needs.sort(key=lambda n: (-n.score, n.start or 0))
        uncertain = [n.category for n in needs if n.score < self.uncertain_below]
        if uncertain:
            signals["uncertain"] = uncertain
        return needs, signals

    def _resource_type(self, text: str, X=None) -> str:
        """Institution, expert or instrument: the model's choice, unless the words call for a type
        (租用仪器, 请专家) and the model finds it at least plausible; when the words call for both,
        the model decides between them."""
        p = self.classifier.resource_proba([text], X)[0]
        best = max(p, key=p.get)
        called = [k for k in resource_signals(text) if p.get(k, 0.0) >= 0.1]
        if called and p[best] < 0.9:
            return max(called, key=lambda k: p.get(k, 0.0))
        return best

    @staticmethod
    def _span(text: str, clauses: list[Span], probs: np.ndarray, hits) -> Span:
        """The clause a need came from: the signal's clause, else the clause most likely to carry
        it (one clause: merging neighbours would hand one need the words of another)."""
        if len(clauses) == 1:
            return clauses[0]
        if hits:
            for c in clauses:
                if c.start <= hits[0].start < c.end:
                    return c
        return clauses[int(np.argmax(probs))]
