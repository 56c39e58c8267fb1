"""The stages of a match: read → understand → retrieve → rank → refer.

Each stage wraps the components of its layer (``qis_match.understanding``, ``.retrieval``,
``.ranking``, ``.referral``) and has the one call shape of :class:`~.context.Stage`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from qis_match.catalog.kinds import RankContext, find_kind
from qis_match.encoders import Encoder
from qis_match.ranking.ranker import ResourceRanker
from qis_match.referral import reviews as rv
from qis_match.referral.models import BundleItem, Referral
from qis_match.retrieval.hybrid import HybridRetriever
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy
from qis_match.text.tokenize import QiTokenizer
from qis_match.understanding.decompose import NeedUnderstanding
from qis_match.understanding.entities import extract_entities
from qis_match.understanding.needs import NeedDetector
from qis_match.understanding.query import parse_query
from qis_match.understanding.routing import Router

from .context import MatchContext


@dataclass
class ReadRequest:
    """Text → a cleaned, redacted query with its region and entities."""

    tokenizer: QiTokenizer
    max_chars: int
    analyse_chars: int
    name: str = "read"

    def __call__(self, ctx: MatchContext) -> MatchContext:
        q = parse_query(
            ctx.text, ctx.region, self.max_chars, self.tokenizer, analyse_chars=self.analyse_chars
        )
        ctx.query = q
        ctx.entities = {
            **q.entities(),
            **extract_entities(q.analysed, ctx.today, codes=q.codes).to_dict(),
        }
        industry = (ctx.entities.get("industry") or {}).get("code")
        ctx.rank = RankContext(industry=industry, region=q.region, today=ctx.today)
        if q.cut:
            ctx.reviews.append(
                rv.Review(
                    rv.LONG_REQUEST, params={"chars": len(q.text), "analysed": len(q.analysed)}
                )
            )
        if q.region_alternatives:
            places = "、".join(sorted(p.label() for p in q.region_alternatives)[:4])
            ctx.reviews.append(rv.Review(rv.REGION_AMBIGUOUS, places))
        return ctx


@dataclass
class Understand:
    """The request's needs (with status), its route, and its query vector.

    The request is read (typos corrected), embedded and retrieved on once, so that the needs
    are found from the classifier and from what the catalog holds; the retrieval baseline has no
    status or route model, so it routes by pattern."""

    needs: NeedUnderstanding | NeedDetector
    encoder: Encoder | None
    retriever: HybridRetriever
    tokenizer: QiTokenizer
    router: Router
    taxonomy: Taxonomy
    name: str = "understand"

    def __call__(self, ctx: MatchContext) -> MatchContext:
        q = ctx.query
        text = q.analysed
        full = isinstance(self.needs, NeedUnderstanding)
        reading = self.needs.read(text) if full else text
        qvec = self.encoder.encode_queries([reading])[0] if self.encoder is not None else None
        terms = q.terms if reading == text else self.tokenizer.terms(reading)
        cands = self.retriever.retrieve(qvec, terms)
        if full:
            u = self.needs.understand(text, qvec, cands)
            ctx.needs, ctx.signals, ctx.not_wanted, ctx.route = (
                u.needs,
                u.signals,
                u.not_wanted,
                u.route,
            )
        else:
            ctx.needs, ctx.signals = self.needs.detect(text, qvec, cands)
            ctx.route = None if ctx.needs else self.router.route(text)
        ctx.qvec = qvec
        ctx.signals.setdefault(
            "best_cosine", round(float(cands.dense_cos.max()), 4) if len(cands) else 0.0
        )
        for c in ctx.signals.get("uncertain", []):
            ctx.reviews.append(rv.Review(rv.UNCERTAIN_NEED, self.taxonomy.category(c).name, c))
        return ctx


@dataclass
class Retrieve:
    """Per need, the passages of its kind and category (a kind that may look across categories
    does so when nothing of it is in the need's category)."""

    retriever: HybridRetriever
    tokenizer: QiTokenizer
    passage_type: np.ndarray  # resource kind of each passage
    passage_category: np.ndarray  # category code index of each passage (-1: retired)
    name: str = "retrieve"

    def __call__(self, ctx: MatchContext) -> MatchContext:
        q = ctx.query
        ctx.candidates = []
        for need in ctx.needs:
            of_type = self.passage_type == need.resource_type
            allowed = of_type & (self.passage_category == CATEGORY_CODES.index(need.category))
            kind = find_kind(need.resource_type)
            if not allowed.any() and kind is not None and kind.across_categories:
                allowed = of_type
            own_text = need.text and need.text != q.analysed
            terms = self.tokenizer.terms(need.text) if own_text else q.terms
            ctx.candidates.append(self.retriever.retrieve(ctx.qvec, terms, allowed=allowed))
        return ctx


@dataclass
class Rank:
    """Per need, its candidates ranked into referrals; a need with none, or with only weak
    matches, is flagged for review."""

    ranker: ResourceRanker
    tokenizer: QiTokenizer
    passage_text: pd.Series
    passage_terms: object  # pid -> frozenset of terms
    review_min_cosine: float | None  # None: no dense scores to judge by
    name: str = "rank"

    def __call__(self, ctx: MatchContext) -> MatchContext:
        q = ctx.query
        ctx.bundle = []
        for need, cands in zip(ctx.needs, ctx.candidates, strict=True):
            own_text = need.text and need.text != q.analysed
            words = self.tokenizer.words(need.text) if own_text else q.words
            refs = self.ranker.rank(
                cands,
                [need.category],
                q.region,
                ctx.filters,
                ctx.top_k,
                words,
                self.passage_text,
                self.passage_terms,
                ctx.rank,
            )
            if not refs:
                kind = find_kind(need.resource_type)
                label = kind.label if kind is not None else need.resource_type
                ctx.reviews.append(
                    rv.Review(rv.NO_PROVIDER, need.name, need.category, {"kind_label": label})
                )
            elif (
                self.review_min_cosine is not None
                and len(cands)
                and float(cands.dense_cos.max()) < self.review_min_cosine
            ):
                ctx.reviews.append(rv.Review(rv.WEAK_MATCH, need.name, need.category))
            ctx.bundle.append(BundleItem(need, refs))
        return ctx


@dataclass
class Refer:
    """One ranked list across needs (一站式): weighted by need score; a resource that serves
    several of the needs rises by ``multi_need_bonus`` of its other scores. Each referral says
    which needs it covers."""

    multi_need_bonus: float
    name: str = "refer"

    def __call__(self, ctx: MatchContext) -> MatchContext:
        ctx.referrals = self.overall(ctx.bundle, ctx.top_k)
        covers = {r.resource_id: r.covers for r in ctx.referrals}
        for item in ctx.bundle:
            item.referrals = [
                replace(r, covers=covers.get(r.resource_id, [item.need.category]))
                for r in item.referrals
            ]
        return ctx

    def overall(self, bundle: list[BundleItem], top_k: int) -> list[Referral]:
        if len(bundle) == 1:
            return [replace(r, covers=[bundle[0].need.category]) for r in bundle[0].referrals]
        best: dict[str, tuple[float, Referral]] = {}
        totals: dict[str, float] = {}
        covers: dict[str, list[str]] = {}
        for item in bundle:
            for r in item.referrals:
                s = item.need.score * r.score
                totals[r.resource_id] = totals.get(r.resource_id, 0.0) + s
                covers.setdefault(r.resource_id, []).append(item.need.category)
                if r.resource_id not in best or s > best[r.resource_id][0]:
                    best[r.resource_id] = (s, r)
        scored = [
            (top + self.multi_need_bonus * (totals[rid] - top), r, rid)
            for rid, (top, r) in best.items()
        ]
        scored.sort(key=lambda x: -x[0])
        return [
            replace(r, rank=rank, score=score, covers=covers[rid])
            for rank, (score, r, rid) in enumerate(scored[:top_k], start=1)
        ]
