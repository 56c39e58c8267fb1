"""Need understanding: split a request into its needs, each with category, sub-service, span and
status, or say that it is not a QI need and where it belongs.

Steps, each a small module:
1. read: typos corrected (lexicon.py, same length, so offsets hold);
2. gate: a calibrated P(QI need at all) (classifier.py) keeps real non-QI text out, even when one
   category's words appear in it; a strong signal in a wanted clause overrides a weak "no";
3. categories: the whole request is classified (text + vector), and so is each clause (text only),
   which finds a need that a long request dilutes; strong signals settle what they cover;
4. status: each need takes the polarity of the micro-clauses that carry it (status.py), so
   "不需要CE证书" keeps CE visible but unreferred;
5. order: the main need first, the rest as the text gives them;
6. route (首问负责): an abstained request gets its competent channel, and a served request's
   non-QI part gets one too (routing.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from qis_match.retrieval.hybrid import Candidates
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy
from qis_match.understanding.classifier import NeedClassifier
from qis_match.understanding.homophones import HomophoneReader
from qis_match.understanding.lexicon import Lexicon, load_lexicon
from qis_match.understanding.needs import Need
from qis_match.understanding.routing import FALLBACK, Route, Router
from qis_match.understanding.segment import Span, split_clauses
from qis_match.understanding.signals import SignalHit, find_signals, resource_signals
from qis_match.understanding.status import (
    DECLINED,
    WANTED,
    Clause,
    describes_only,
    micro_clauses,
    status_of,
)


@dataclass
class Understanding:
    """What the request asks for (wanted needs, main first), what it mentions but does not want,
    and where it (or its non-QI part) belongs."""

    needs: list[Need]
    signals: dict
    not_wanted: list[Need] = field(default_factory=list)
    route: Route | None = None
    reading: str = ""  # the text as understood (typos corrected)


@dataclass
class NeedUnderstanding:
    classifier: NeedClassifier
    taxonomy: Taxonomy
    threshold: float = 0.5
    clause_threshold: float = 0.7
    wanted_micro_threshold: float = 0.9
    uncertain_below: float = 0.65
    gate_threshold: float = 0.5
    gate_signal_floor: float = 0.15
    route_gate_threshold: float = 0.9
    status_clause_threshold: float = 0.5
    rest_clause_max: float = 0.3
    decisive_keep_threshold: float = 0.8
    order_tie: float = 0.05
    lexicon: Lexicon | None = None
    router: Router | None = None

    def __post_init__(self) -> None:
        self.lexicon = self.lexicon if self.lexicon is not None else load_lexicon()
        self.router = self.router or Router()
        self.homophones = HomophoneReader.from_taxonomy(self.taxonomy, self.lexicon.homophone_terms)

    def read(self, text: str) -> str:
        """The text as understanding reads it: known typos corrected, then QI terms mistyped
        by a homophone (专丽 → 专利); same length."""
        return self.homophones.correct(self.lexicon.correct(text))

    def detect(
        self, text: str, qvec: np.ndarray | None, cands: Candidates | None = None
    ) -> tuple[list[Need], dict]:
        """Wanted needs and signals (the shape of the retrieval baseline's ``detect``)."""
        u = self.understand(text, qvec, cands)
        return u.needs, u.signals

    def understand(
        self, text: str, qvec: np.ndarray | None, cands: Candidates | None = None
    ) -> Understanding:
        """``text`` is the redacted request; ``qvec`` its query vector (of ``self.read(text)``)."""
        reading = self.read(text)
        vec = (
            np.zeros((1, self.classifier.vector_dim), dtype=np.float32)
            if qvec is None
            else np.atleast_2d(qvec)
        )
        clauses = split_clauses(reading)
        micro = micro_clauses(reading) or [Clause(reading, 0, len(reading), WANTED)]
        row, p_full, p_qi, p_clause, p_micro = self._probabilities(reading, vec, clauses, micro)
        hits = find_signals(reading)
        signals: dict = {
            "probabilities": {
                c: round(float(p), 4) for c, p in zip(CATEGORY_CODES, p_full, strict=True)
            },
            "qi_probability": round(p_qi, 4),
            "strong_signals": [h.rule for h in hits],
            "clauses": [c.text for c in clauses],
            "micro_clauses": [{"text": m.text, "status": m.status, "cue": m.cue} for m in micro],
        }
        if reading != text:
            signals["reading"] = reading
        wanted_hits = [h for h in hits if _clause_at(micro, h.start).status == WANTED]
        # A request naming another channel's matter must be clearly QI to be served, unless a
        # part of it free of such words carries a need ("要做检测，顺便问下贷款").
        elsewhere = self._elsewhere(reading)
        clean_part = any(
            not self._elsewhere(m.text) and float(p_micro[j].max()) >= self.status_clause_threshold
            for j, m in enumerate(micro)
        )
        needed = self.route_gate_threshold if elsewhere and not clean_part else self.gate_threshold
        # each micro-clause's decisive non-QI intent (hiring, 安全生产标准化 …), read once
        decisive = [self.router.decisive_route(m.text) for m in micro]
        settled, absolute = self._settled(micro, p_micro, wanted_hits, decisive)
        # A settled request is gated whatever its decisive part says ("招聘计量员" names 计量):
        # _settled already kept it open when another part carries a signal.
        gated = (
            absolute
            or settled is not None
            or (p_qi < needed and not (wanted_hits and p_qi >= self.gate_signal_floor))
        )
        if elsewhere:
            signals["other_channels"] = elsewhere
        floor = np.zeros(len(CATEGORY_CODES))
        for h in hits:
            i = CATEGORY_CODES.index(h.category)
            floor[i] = max(floor[i], h.floor)
        score = np.maximum(p_full, floor)
        clause_max = p_clause.max(axis=0)
        present = self._present(score, clause_max, micro, p_micro, gated)
        candidates = [
            self._need(reading, clauses, micro, p_clause, p_micro, hits, score, clause_max, row, i)
            for i in np.flatnonzero(present)
        ]
        candidates = [
            (n, a)
            for n, a in candidates
            if not self._only_elsewhere(n, micro, p_micro, hits, decisive)
        ]
        needs = self._order([n for n, _ in candidates if n.status == WANTED], candidates)
        not_wanted = [n for n, _ in candidates if n.status != WANTED]
        route = None
        if not needs:
            route = self._route_all(reading, row[reading], bool(not_wanted))
            signals["abstain"] = self._abstain_reason(p_full, p_qi, gated, not_wanted)
        else:
            route = self._route_rest(micro, p_micro, needs, decisive)
            uncertain = [n.category for n in needs if n.score < self.uncertain_below]
            if uncertain:
                signals["uncertain"] = uncertain
        return Understanding(needs, signals, not_wanted, route, reading)

    def _present(self, score, clause_max, micro: list[Clause], p_micro, gated: bool) -> np.ndarray:
        """Which categories the text names: likely for the request or a clause; named only in a
        done or declined micro-clause (shown as such); or the one service a single wanted part
        asks for ("只要做个产品抽检") when the rest of the text is about something else."""
        present = (score >= self.threshold) | (clause_max >= self.clause_threshold)
        for j, m in enumerate(micro):
            if m.status != WANTED:
                present |= p_micro[j] >= self.clause_threshold
            elif p_micro[j].max() >= self.wanted_micro_threshold:
                present[int(np.argmax(p_micro[j]))] = True
        if gated:
            present[:] = False
        return present

    def _probabilities(self, reading: str, vec: np.ndarray, clauses, micro):
        """Text features once for the request, its clauses and micro-clauses; then P(category)
        of the request, of each clause and micro-clause, and P(QI need at all)."""
        texts = list(dict.fromkeys([reading, *(c.text for c in clauses), *(m.text for m in micro)]))
        X = self.classifier.features(texts)
        row = {t: X[i] for i, t in enumerate(texts)}
        p_full = self.classifier.predict_proba([reading], vec, X=row[reading])[0]
        p_qi = float(self.classifier.qi_proba([reading], vec, X=row[reading])[0])
        p_clause = (
            self.classifier.predict_clause_proba(
                [c.text for c in clauses], X=X[[texts.index(c.text) for c in clauses]]
            )
            if len(clauses) > 1
            else p_full[None, :]
        )
        p_micro = self.classifier.predict_clause_proba(
            [m.text for m in micro], X=X[[texts.index(m.text) for m in micro]]
        )
        return row, p_full, p_qi, p_clause, p_micro

    # --- one need
    def _need(self, reading, clauses, micro, p_clause, p_micro, hits, score, clause_max, row, i):
        """The need of category ``i``, with its span, sub-service, resource type and status, and
        the position in the text it is anchored at (for ordering)."""
        code = CATEGORY_CODES[i]
        own_hits = [h for h in hits if h.category == code]
        carrying = self._carrying(micro, p_micro, i, own_hits)
        status, cue = status_of([(c.start, c.end) for c in carrying], micro)
        if status == WANTED:
            status, cue = self._explicitly_declined(micro, p_micro[:, i], own_hits, carrying) or (
                status,
                cue,
            )
        status_hits = [h for h in own_hits if _clause_at(micro, h.start).status == status]
        if carrying and status == WANTED:
            # The span is a clause of a wanted carrier, so retrieval reads the wanted words.
            wanted = [c for c in carrying if c.status == WANTED]
            near = [
                j
                for j, c in enumerate(clauses)
                if any(c.start < w.end and w.start < c.end for w in wanted)
            ]
            if near and len(clauses) > 1 and not status_hits:
                span = clauses[max(near, key=lambda j: p_clause[j, i])]
            else:
                span = self._span(reading, clauses, p_clause[:, i], status_hits or own_hits)
        elif carrying:
            span = Span(carrying[0].text, carrying[0].start, carrying[0].end)
        else:
            span = self._span(reading, clauses, p_clause[:, i], own_hits)
        signal_sub = (status_hits or own_hits or [None])[0]
        sub = (
            signal_sub.sub_service
            if signal_sub and signal_sub.sub_service
            else self.classifier.best_sub_service(span.text, code, X=row.get(span.text))[0]
        )
        subs = self.taxonomy.sub_services
        source = (
            "signal" if own_hits and max(h.floor for h in own_hits) >= score[i] else "classifier"
        )
        anchor = min([h.start for h in status_hits] or [span.start])
        need = Need(
            category=code,
            score=float(max(score[i], clause_max[i] if len(clauses) > 1 else 0.0)),
            name=self.taxonomy.category(code).name,
            sub_service=sub,
            sub_service_name=subs[sub].name if sub in subs else None,
            text=span.text,
            start=span.start,
            end=span.end,
            source=source,
            resource_type=self._resource_type(span.text, row.get(span.text)),
            status=status,
            status_cue=cue,
        )
        return need, anchor

    def _explicitly_declined(
        self, micro: list[Clause], probs: np.ndarray, hits: list[SignalHit], carrying: list[Clause]
    ) -> tuple[str, str] | None:
        """A service refused in so many words ("暂不考虑认证") stays refused when the other parts
        that carry it only suggest it to the classifier ("导入ISO 9001体系") and name it by no
        strong signal. Something done and wanted again (已注册商标，想在内地也注册) is not this."""
        index = {id(m): j for j, m in enumerate(micro)}
        refused = [
            c
            for c in carrying
            if c.status == DECLINED and probs[index[id(c)]] >= self.clause_threshold
        ]
        if not refused:
            return None
        wanted = [c for c in carrying if c.status == WANTED]
        if any(_clause_at(micro, h.start) in wanted for h in hits):
            return None
        if any(probs[index[id(c)]] > probs[index[id(refused[0])]] for c in wanted):
            return None
        return DECLINED, refused[0].cue

    def _only_elsewhere(
        self, need: Need, micro: list[Clause], p_micro: np.ndarray, hits, decisive: list
    ) -> bool:
        """A wanted need carried only by parts another channel's intent settles (the 标准化 of
        安全生产标准化 is 应急管理's, not a standards need)."""
        if need.status != WANTED:
            return False
        i = CATEGORY_CODES.index(need.category)
        own_hits = [h for h in hits if h.category == need.category]
        carrying = self._carrying(micro, p_micro, i, own_hits, about_it_only=False)
        return bool(carrying) and all(decisive[micro.index(c)] is not None for c in carrying)

    def _carrying(
        self,
        micro: list[Clause],
        p_micro: np.ndarray,
        i: int,
        hits: list[SignalHit],
        about_it_only: bool = True,
    ):
        """The micro-clauses that carry a need: those its signals fire in and those whose words
        make the category likely ("已注册商标，想在内地也注册" carries it twice). None: the need is
        read from the whole request.

        With ``about_it_only``: once a done or declined part has named the category, a wanted part carries it again only
        if that part is about it (its most likely category, or one the classifier is sure of):
        "企业标准已经公开了，这次按企业标准做型式检验" cites the standard it already has, and asks
        for a test."""
        probs = p_micro[:, i]
        likely = [j for j in range(len(micro)) if probs[j] >= self.status_clause_threshold]
        if about_it_only and any(micro[j].status != WANTED for j in likely):
            likely = [
                j
                for j in likely
                if micro[j].status != WANTED
                or int(np.argmax(p_micro[j])) == i
                or probs[j] >= self.wanted_micro_threshold
            ]
        likely_clauses = [micro[j] for j in likely]
        return list(dict.fromkeys([*(_clause_at(micro, h.start) for h in hits), *likely_clauses]))

    def _order(self, wanted: list[Need], candidates) -> list[Need]:
        """Main need first (the best, or the earliest of those within ``order_tie`` of it), the
        others in the order of the text."""
        if not wanted:
            return []
        anchor = {id(n): a for n, a in candidates}
        by_text = sorted(wanted, key=lambda n: (anchor[id(n)], -n.score))
        best = max(n.score for n in wanted)
        main = next(n for n in by_text if n.score >= best - self.order_tie)
        return [main, *(n for n in by_text if n is not main)]

    # --- routing
    def _elsewhere(self, text: str) -> list[str]:
        """Channels other than 12345 whose matter the words name (and that raise the gate)."""
        return sorted(
            c
            for c in self.router.pattern_hits(text)
            if c != FALLBACK and self.router.channels[c].raises_gate
        )

    def _settled(
        self, micro: list[Clause], p_micro: np.ndarray, wanted_hits: list, decisive: list
    ) -> tuple[Route | None, bool]:
        """A decisive intent (hiring, a start-up loan, a greeting) settles the request when no
        other part of it carries a QI need: "招个内审员" alone is hiring, but "做认证，另外招个
        内审员" still has its certification."""
        whole = self.router.request_route(" ".join(m.text for m in micro))
        if whole is not None:  # absolute: no QI word overrides a request-level intent
            return whole, True
        hits = [(j, r) for j, r in enumerate(decisive) if r is not None]
        if not hits:
            return None, False
        taken = {k for k, _ in hits}
        # only a part that clearly still wants a service keeps the request: not a certificate it
        # already has ("出口退税率多少，我们产品有CE认证"), nor words that only describe the firm
        # or the job ("我们是做品牌运动鞋的", "有检定员证书者优先")
        if any(
            j not in taken
            and micro[j].status == WANTED
            and not describes_only(micro[j].text)
            and (
                float(p_micro[j].max()) >= self.decisive_keep_threshold
                or any(h.start < micro[j].end and micro[j].start < h.end for h in wanted_hits)
            )
            for j in range(len(micro))
        ):
            return None, False
        return hits[0][1], False

    def _route_all(self, reading: str, X, nothing_wanted: bool) -> Route:
        """Where a request with no wanted QI need goes: the competent channel; a request whose
        services are all done or declined has nothing to refer (12345 records it)."""
        if nothing_wanted:
            ch = self.router.channels[FALLBACK]
            return Route(ch, reading, "所述服务已具备或不需要", 0.0)
        return self.router.route(reading, self.classifier.route_proba([reading], X)[0])

    def _route_rest(
        self, micro: list[Clause], p_micro: np.ndarray, needs: list[Need], decisive: list
    ) -> Route | None:
        """The non-QI part of a served request (\"检测做完还想问下社保怎么交\"): a wanted
        micro-clause that carries no need, is unlikely for every category and names a channel;
        or one whose decisive intent (安全生产标准化) lies outside every served need's words."""
        for j, m in enumerate(micro):
            if m.status != WANTED or find_signals(m.text):
                continue
            settled = decisive[j]
            outside = not any(n.start < m.end and m.start < n.end for n in needs)
            if settled is not None and (
                outside or float(p_micro[j].max()) < self.status_clause_threshold
            ):
                return replace(settled, text=m.text)
            if float(p_micro[j].max()) >= self.rest_clause_max:
                continue
            found = self.router.route_rest(m.text)
            if found is not None:
                return replace(found, text=m.text)
        return None

    def _abstain_reason(self, p_full, p_qi: float, gated: bool, not_wanted: list[Need]) -> str:
        if not_wanted:
            said = "、".join(
                f"{'已具备' if n.status == 'done' else '不需要'}{n.name}" for n in not_wanted
            )
            return f"所述质量基础设施服务均已具备或不需要（{said}），无需转介"
        best = int(np.argmax(p_full))
        name = self.taxonomy.category(CATEGORY_CODES[best]).name
        if gated:
            return f"未识别到质量基础设施服务需求（属于质量基础设施服务的概率仅 {p_qi:.2f}）"
        return f"未识别到质量基础设施服务需求（最可能为{name}，概率仅 {p_full[best]:.2f}）"

    def _resource_type(self, text: str, X=None) -> str:
        """The resource kind: the model's choice, unless the words call for a kind (租用仪器,
        请专家) and the model finds it at least plausible; when the words call for several, the
        model decides between them. A kind a trained model never saw (a deployment's own) is
        taken on its words alone: the model has no opinion of it."""
        p = self.classifier.resource_proba([text], X)[0]
        best = max(p, key=p.get)
        words = resource_signals(text)
        unknown = sorted(k for k in words if k not in p) if len(p) > 1 else []
        if unknown:
            return unknown[0]
        called = [k for k in words if p.get(k, 0.0) >= 0.1]
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


def _clause_at(micro: list[Clause], pos: int) -> Clause:
    """The micro-clause holding a character position (the last one before it, for a cut)."""
    for m in micro:
        if m.start <= pos < m.end:
            return m
    before = [m for m in micro if m.start <= pos]
    return before[-1] if before else micro[0]
