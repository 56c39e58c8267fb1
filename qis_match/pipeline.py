"""The matching pipeline: text → understanding → retrieval → ranking → referral.

Each stage is a swappable component built from the settings; :class:`Matcher` only wires them.
A request is cleaned and redacted, its entities extracted, its needs found (one per part of a
multi-part request), and each need retrieved and ranked on its own; the bundle of per-need
referrals is merged into one overall ranking in which institutions that serve several of the
needs rise (一站式).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from qis_match.encoders import Encoder, make_encoder
from qis_match.ranking.ranker import Context, Filters, ResourceRanker
from qis_match.referral.models import BundleItem, MatchResult, Referral
from qis_match.retrieval.hybrid import HybridRetriever
from qis_match.settings import Settings, get_settings
from qis_match.store.index_store import IndexData, IndexStore
from qis_match.taxonomy import CATEGORY_CODES, load_taxonomy
from qis_match.text.tokenize import QiTokenizer, default_tokenizer
from qis_match.understanding.classifier import NeedClassifier
from qis_match.understanding.decompose import NeedUnderstanding
from qis_match.understanding.entities import extract_entities
from qis_match.understanding.needs import Need, NeedDetector
from qis_match.understanding.query import parse_query
from qis_match.understanding.routing import Route, Router

log = logging.getLogger(__name__)
MULTI_NEED_BONUS = 0.25


@dataclass
class _Understood:
    needs: list[Need]
    signals: dict
    qvec: np.ndarray | None
    not_wanted: list[Need]
    route: Route | None


class Matcher:
    """Load an index version once; match many requests against it."""

    def __init__(
        self,
        settings: Settings | None = None,
        index: IndexData | None = None,
        encoder: Encoder | None = None,
        tokenizer: QiTokenizer | None = None,
        index_path: Path | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.index = index or IndexStore(self.settings.index_root).load(
            index_path, self.settings.hnsw_ef_search, self.settings.ivf_nprobe
        )
        self.taxonomy = load_taxonomy()
        self.tokenizer = tokenizer or default_tokenizer()
        needs_dense = self.settings.retrieval != "bm25" or self.settings.needs_model == "classifier"
        self.encoder = (
            encoder
            if encoder is not None
            else (make_encoder(self.settings) if needs_dense else None)
        )
        built_with = self.index.manifest.get("encoder")
        if self.encoder is not None and built_with and built_with != self.encoder.name:
            raise ValueError(
                f"index was built with encoder {built_with!r} but the matcher uses {self.encoder.name!r}; "
                "rebuild the index or change QIS_ENCODER"
            )
        self.retriever = HybridRetriever(self.index, self.settings)
        first_line = self.index.lines.drop_duplicates("passage_id").set_index("passage_id")
        first_line = first_line.reindex(self.index.passages["passage_id"])
        # Retired passages (no line uses them after an update) get category -1 and no type.
        self.passage_category = pd.Categorical(
            first_line["category"], categories=CATEGORY_CODES
        ).codes.astype(np.int64)
        self.passage_type = first_line["resource_type"].astype(object).fillna("").to_numpy()
        self.needs = self._need_component()
        self.router = Router()
        self.ranker = ResourceRanker(self.index.resources, self.index.lines, self.settings)
        self._passage_text = self.index.passages["text"]
        self._terms_cache: dict[int, frozenset[str]] = {}

    def _need_component(self) -> NeedUnderstanding | NeedDetector:
        s = self.settings
        clf = NeedClassifier.load(self.index.path) if s.needs_model == "classifier" else None
        if clf is not None:
            clf._tokenizer = self.tokenizer
            return NeedUnderstanding(
                clf,
                self.taxonomy,
                s.need_threshold,
                s.clause_threshold,
                gate_threshold=s.gate_threshold,
                gate_signal_floor=s.gate_signal_floor,
                route_gate_threshold=s.route_gate_threshold,
                status_clause_threshold=s.status_clause_threshold,
                rest_clause_max=s.rest_clause_max,
                decisive_keep_threshold=s.decisive_keep_threshold,
                order_tie=s.order_tie,
            )
        if s.needs_model == "classifier":
            log.warning(
                "index %s has no need classifier (no training data at build): using the baseline",
                self.index.version,
            )
        return NeedDetector(
            self.taxonomy,
            self.passage_category,
            min_share=s.need_min_share,
            abstain_min_dense=s.abstain_min_dense if s.retrieval != "bm25" else -1.0,
        )

    def match(
        self,
        text: str,
        region: str | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        today: date | None = None,
    ) -> MatchResult:
        t0 = time.perf_counter()
        s = self.settings
        top_k = top_k or s.top_k
        query = parse_query(
            text, region, s.max_text_chars, self.tokenizer, analyse_chars=s.analyse_max_chars
        )
        entities = {
            **query.entities(),
            **extract_entities(query.analysed, today, codes=query.codes).to_dict(),
        }
        understood = self._understand(query)
        needs, signals, qvec = understood.needs, understood.signals, understood.qvec
        reasons: list[str] = []
        if query.cut:
            reasons.append(
                f"请求较长（{len(query.text)} 字），只分析了前 {len(query.analysed)} 字，请核对后面的需求"
            )
        if query.region_alternatives:
            reasons.append(
                "地区不明确：" + "、".join(sorted(p.label() for p in query.region_alternatives)[:4])
            )
        for c in signals.get("uncertain", []):
            reasons.append(f"需求把握不大：{self.taxonomy.category(c).name}")
        ctx = Context(industry=(entities.get("industry") or {}).get("code"))
        bundle: list[BundleItem] = []
        for need in needs:
            bundle.append(self._serve_need(need, query, qvec, filters, top_k, reasons, ctx))
        referrals = self._overall(bundle, top_k)
        covers = {r.resource_id: r.covers for r in referrals}
        for item in bundle:
            item.referrals = [
                replace(r, covers=covers.get(r.resource_id, [item.need.category]))
                for r in item.referrals
            ]
        result = MatchResult(
            text=query.text,
            needs=needs,
            needs_not_wanted=understood.not_wanted,
            route=understood.route.to_dict() if understood.route else None,
            referrals=referrals,
            entities=entities,
            signals=signals,
            bundle=bundle,
            needs_review=bool(reasons),
            review_reasons=reasons,
            abstain_reason=signals.get("abstain") if not needs else None,
            index_version=self.index.version,
            catalog_version=self.index.manifest.get("catalog_version", ""),
            encoder=self.index.manifest.get("encoder", ""),
        )
        result.elapsed_ms = (time.perf_counter() - t0) * 1000
        log.debug(
            "match %.1f ms: %s → %s", result.elapsed_ms, query.text, [n.category for n in needs]
        )
        return result

    def _understand(self, query) -> _Understood:
        """Read the request (typos corrected), embed and retrieve on that reading, and find its
        needs; the retrieval baseline has no status or route model, so it routes by pattern."""
        text = query.analysed
        reading = self.needs.read(text) if isinstance(self.needs, NeedUnderstanding) else text
        qvec = self.encoder.encode_queries([reading])[0] if self.encoder is not None else None
        terms = query.terms if reading == text else self.tokenizer.terms(reading)
        cands = self.retriever.retrieve(qvec, terms)
        if isinstance(self.needs, NeedUnderstanding):
            u = self.needs.understand(text, qvec, cands)
            signals = u.signals
            out = _Understood(u.needs, signals, qvec, u.not_wanted, u.route)
        else:
            needs, signals = self.needs.detect(text, qvec, cands)
            route = None if needs else self.router.route(text)
            out = _Understood(needs, signals, qvec, [], route)
        signals.setdefault(
            "best_cosine", round(float(cands.dense_cos.max()), 4) if len(cands) else 0.0
        )
        return out

    def _serve_need(
        self,
        need: Need,
        query,
        qvec,
        filters: Filters | None,
        top_k: int,
        reasons: list[str],
        ctx: Context | None = None,
    ) -> BundleItem:
        """Retrieve and rank for one need, restricted to its category and resource type (an
        expert or instrument need with nothing in its category looks across categories)."""
        of_type = self.passage_type == need.resource_type
        allowed = of_type & (self.passage_category == CATEGORY_CODES.index(need.category))
        if not allowed.any() and need.resource_type != "institution":
            allowed = of_type
        own_text = need.text and need.text != query.analysed
        terms = self.tokenizer.terms(need.text) if own_text else query.terms
        words = self.tokenizer.words(need.text) if own_text else query.words
        cands = self.retriever.retrieve(qvec, terms, allowed=allowed)
        refs = self.ranker.rank(
            cands,
            [need.category],
            query.region,
            filters,
            top_k,
            words,
            self._passage_text,
            self._passage_terms,
            ctx,
        )
        if not refs:
            what = {"expert": "专家", "instrument": "共享仪器"}.get(need.resource_type, "机构")
            reasons.append(f"无可转介{what}：{need.name}")
        elif (
            self.encoder is not None
            and len(cands)
            and float(cands.dense_cos.max()) < self.settings.review_min_cosine
        ):
            reasons.append(f"匹配较弱：{need.name}")
        return BundleItem(need, refs)

    def search(
        self,
        text: str | None,
        region: str | None = None,
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> list[Referral]:
        """SME self-search: institutions whose capabilities match the words, within the filters.

        No need detection and no abstention: the person searching decides what is relevant. With
        no words, the institutions passing the filters are listed, nearest first."""
        filters = filters or Filters()
        top_k = top_k or self.settings.top_k
        if not text or not text.strip():
            place = self._region(region)
            return self.ranker.browse(filters, place, top_k, self._passage_text)
        query = parse_query(
            text,
            region,
            self.settings.max_text_chars,
            self.tokenizer,
            analyse_chars=self.settings.analyse_max_chars,
        )
        qvec = (
            self.encoder.encode_queries([query.analysed])[0] if self.encoder is not None else None
        )
        allowed = None
        if filters.categories:
            allowed = np.isin(
                self.passage_category, [CATEGORY_CODES.index(c) for c in filters.categories]
            )
        if filters.resource_types:
            of_type = np.isin(self.passage_type, filters.resource_types)
            allowed = of_type if allowed is None else allowed & of_type
        cands = self.retriever.retrieve(qvec, query.terms, allowed=allowed)
        return self.ranker.rank(
            cands,
            [],
            query.region,
            filters,
            top_k,
            query.words,
            self._passage_text,
            self._passage_terms,
        )

    @staticmethod
    def _region(region: str | None):
        from qis_match.geo import gazetteer

        return gazetteer().resolve(region) if region else None

    def institution(self, institution_id: str) -> dict | None:
        """One institution with all its capability lines, or None (also for experts and instruments)."""
        found = self.resource(institution_id)
        if found is None or found["resource_type"] != "institution":
            return None
        found["institution_id"] = found["resource_id"]
        return found

    def resource(self, resource_id: str) -> dict | None:
        """One resource (institution, expert or instrument) with all its lines, or None."""
        pos = self.ranker.pos.get(resource_id)
        if pos is None:
            return None
        row = {
            k: (None if isinstance(v, float) and np.isnan(v) else v)
            for k, v in self.ranker.records[pos].items()
        }
        row["details"] = json.loads(row.get("details") or "{}")
        lines = self.ranker.lines_of(resource_id)
        row["capabilities"] = [
            {
                **{k: str(v) for k, v in r.items() if k != "passage_id"},
                "text": str(self._passage_text.iloc[int(r["passage_id"])]),
            }
            for r in lines.to_dict("records")
        ]
        row["categories"] = sorted(set(lines["category"]), key=CATEGORY_CODES.index)
        return row

    def _passage_terms(self, pid: int) -> frozenset[str]:
        terms = self._terms_cache.get(pid)
        if terms is None:
            terms = frozenset(self.tokenizer.terms(self._passage_text.iloc[pid]))
            if len(self._terms_cache) < 100_000:
                self._terms_cache[pid] = terms
        return terms

    @staticmethod
    def _overall(bundle: list[BundleItem], top_k: int) -> list[Referral]:
        """One ranked list across needs: weight by need score; serving several needs lifts."""
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
        scored = []
        for iid, (top, r) in best.items():
            scored.append((top + MULTI_NEED_BONUS * (totals[iid] - top), r, iid))
        scored.sort(key=lambda x: -x[0])
        out = []
        for rank, (score, r, iid) in enumerate(scored[:top_k], start=1):
            out.append(replace(r, rank=rank, score=score, covers=covers[iid]))
        return out
