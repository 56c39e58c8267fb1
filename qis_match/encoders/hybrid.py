"""e5 for the request, a fast static model for the catalog.

A static model distilled from e5 (without a projection) lives in e5's space, so a request embedded
by e5 can be compared with passages embedded by the static model: builds get the static model's
speed, requests keep e5's understanding. Whether that is good enough is measured (README).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qis_match.encoders.base import Encoder


class HybridEncoder:
    def __init__(self, query_encoder: Encoder, passage_encoder: Encoder) -> None:
        self.query_encoder, self.passage_encoder = query_encoder, passage_encoder
        self.dim = query_encoder.dim
        self.name = f"hybrid[{query_encoder.name}|{passage_encoder.name}]"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.query_encoder.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        # Checked here, not at construction: the passage model loads only when a build needs it.
        if self.passage_encoder.dim != self.dim:
            raise ValueError(
                f"hybrid encoder needs one space: query dim {self.dim} ≠ passage dim {self.passage_encoder.dim}"
            )
        return self.passage_encoder.encode_passages(texts)
