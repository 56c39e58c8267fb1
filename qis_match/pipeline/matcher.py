"""The matching pipeline: text → understanding → retrieval → ranking → referral.

:class:`Matcher` loads an index version once and reads as its list of stages
(:mod:`qis_match.pipeline.stages`), each built from the settings with only what it needs. A
request is cleaned and redacted, its entities extracted, its needs found (one per part of a
multi-part request), and each need retrieved and ranked on its own; the bundle of per-need
referrals is merged into one overall ranking in which resources that serve several of the
needs rise (一站式).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from qis_match.catalog.kinds import card_of, load_kind_modules
from qis_match.encoders import Encoder, make_encoder
from qis_match.ranking.ranker import Filters, ResourceRanker
from qis_match.referral.models import MatchResult, Referral
from qis_match.retrieval.hybrid import HybridRetriever
from qis_match.settings import Settings, get_settings
from qis_match.store.index_store import IndexData, IndexStore
from qis_match.taxonomy import CATEGORY_CODES, load_taxonomy
from qis_match.text.tokenize import QiTokenizer, default_tokenizer
from qis_match.understanding.classifier import NeedClassifier
from qis_match.understanding.decompose import NeedUnderstanding
from qis_match.understanding.needs import NeedDetector
from qis_match.understanding.query import parse_query
from qis_match.understanding.routing import Router

from .context import MatchContext, Stage
from .stages import Rank, ReadRequest, Refer, Retrieve, Understand

log = logging.getLogger(__name__)


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
        load_kind_modules(self.settings.kind_modules)
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
        self.retriever = HybridRetriever.from_index(self.index, self.settings)
        first_line = self.index.lines.drop_duplicates("passage_id").set_index("passage_id")
        first_line = first_line.reindex(self.index.passages["passage_id"])
        # Retired passages (no line uses them after an update) get category -1 and no type.
        self.passage_category = pd.Categorical(
            first_line["category"], categories=CATEGORY_CODES
        ).codes.astype(np.int64)
        self.passage_type = first_line["resource_type"].astype(object).fillna("").to_numpy()
        self.ranker = ResourceRanker(self.index.resources, self.index.lines, self.settings)
        self._passage_text = self.index.passages["text"]
        self._terms_cache: dict[int, frozenset[str]] = {}
        self.stages: list[Stage] = self._stages()

    def _stages(self) -> list[Stage]:
        """read → understand → retrieve → rank → refer, each given what it needs."""
        s = self.settings
        return [
            ReadRequest(self.tokenizer, s.max_text_chars, s.analyse_max_chars),
            Understand(
                self._need_component(),
                self.encoder,
                self.retriever,
                self.tokenizer,
                Router(),
                self.taxonomy,
            ),
            Retrieve(self.retriever, self.tokenizer, self.passage_type, self.passage_category),
            Rank(
                self.ranker,
                self.tokenizer,
                self._passage_text,
                self._passage_terms,
                s.review_min_cosine if self.encoder is not None else None,
            ),
            Refer(s.multi_need_bonus),
        ]

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
                uncertain_below=s.uncertain_need_below,
                gate_threshold=s.gate_threshold,
                gate_signal_floor=s.gate_signal_floor,
                route_gate_threshold=s.route_gate_threshold,
                status_clause_threshold=s.status_clause_threshold,
                wanted_micro_threshold=s.wanted_micro_threshold,
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
        ctx = MatchContext(text, region, top_k or self.settings.top_k, filters, today)
        for stage in self.stages:
            ctx = stage(ctx)
        result = MatchResult(
            text=ctx.query.text,
            needs=ctx.needs,
            needs_not_wanted=ctx.not_wanted,
            route=ctx.route.to_dict() if ctx.route else None,
            referrals=ctx.referrals,
            entities=ctx.entities,
            signals=ctx.signals,
            bundle=ctx.bundle,
            needs_review=bool(ctx.reviews),
            review_reasons=[r.text() for r in ctx.reviews],
            reviews=ctx.reviews,
            abstain_reason=ctx.signals.get("abstain") if not ctx.needs else None,
            index_version=self.index.version,
            catalog_version=self.index.manifest.get("catalog_version", ""),
            encoder=self.index.manifest.get("encoder", ""),
        )
        result.elapsed_ms = (time.perf_counter() - t0) * 1000
        log.debug(
            "match %.1f ms: %s → %s",
            result.elapsed_ms,
            result.text,
            [n.category for n in ctx.needs],
        )
        return result

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
        """One institution with all its capability lines, or None (also for resources of other kinds)."""
        found = self.resource(institution_id)
        if found is None or found["resource_type"] != "institution":
            return None
        found["institution_id"] = found["resource_id"]
        return found

    def resource(self, resource_id: str) -> dict | None:
        """One resource of any kind with all its lines, or None."""
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
        row["card"] = card_of(row, "detail")
        return row

    def _passage_terms(self, pid: int) -> frozenset[str]:
        terms = self._terms_cache.get(pid)
        if terms is None:
            terms = frozenset(self.tokenizer.terms(self._passage_text.iloc[pid]))
            if len(self._terms_cache) < 100_000:
                self._terms_cache[pid] = terms
        return terms
