"""The matching pipeline: text → understanding → retrieval → ranking → referral.

Each stage is a swappable component built from the settings; :class:`Matcher` only wires them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from qis_match.encoders import Encoder, make_encoder
from qis_match.ranking.ranker import Filters, InstitutionRanker
from qis_match.referral.models import MatchResult
from qis_match.retrieval.hybrid import HybridRetriever
from qis_match.settings import Settings, get_settings
from qis_match.store.index_store import IndexData, IndexStore
from qis_match.taxonomy import CATEGORY_CODES, load_taxonomy
from qis_match.text.tokenize import QiTokenizer, default_tokenizer
from qis_match.understanding.needs import NeedDetector
from qis_match.understanding.query import parse_query

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
        self.index = index or IndexStore(self.settings.index_root).load(index_path)
        self.taxonomy = load_taxonomy()
        self.tokenizer = tokenizer or default_tokenizer()
        needs_dense = self.settings.retrieval != "bm25"
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
        passage_cat = (
            self.index.lines.drop_duplicates("passage_id")
            .set_index("passage_id")["category"]
            .reindex(self.index.passages["passage_id"])
            .map(CATEGORY_CODES.index)
            .to_numpy(dtype=np.int64)
        )
        self.needs = NeedDetector(
            self.taxonomy,
            passage_cat,
            min_share=self.settings.need_min_share,
            abstain_min_dense=self.settings.abstain_min_dense if needs_dense else -1.0,
        )
        self.ranker = InstitutionRanker(self.index.institutions, self.index.lines, self.settings)
        self._passage_text = self.index.passages["text"]

    def match(
        self,
        text: str,
        region: str | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
    ) -> MatchResult:
        t0 = time.perf_counter()
        s = self.settings
        query = parse_query(text, region, s.max_text_chars, self.tokenizer)
        qvec = self.encoder.encode_queries([query.text])[0] if self.encoder is not None else None
        cands = self.retriever.retrieve(qvec, query.terms)
        needs, signals = self.needs.detect(query.text, cands)
        referrals = []
        if needs:
            referrals = self.ranker.rank(
                cands,
                [n.category for n in needs],
                query.region,
                filters,
                top_k or s.top_k,
                query.words,
                self._passage_text,
            )
        elapsed = (time.perf_counter() - t0) * 1000
        return MatchResult(
            text=query.text,
            needs=needs,
            referrals=referrals,
            entities=query.entities(),
            signals=signals,
            index_version=self.index.version,
            catalog_version=self.index.manifest.get("catalog_version", ""),
            encoder=self.index.manifest.get("encoder", ""),
            elapsed_ms=elapsed,
        )
