"""Any sentence-transformers model a deployment has on disk (e.g. bge-small-zh-v1.5).

Loaded from a local path only: this code never downloads weights (HF_HUB_OFFLINE is forced).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qis_match.encoders.base import l2_normalize


def _model_fingerprint(path: Path) -> str:
    """Hash of the model's files, so that a retrained model never reuses stale cached vectors."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt", ".model"}:
            h.update(p.relative_to(path).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


class SentenceTransformerEncoder:
    """``lazy``: load the model (and torch) on first use — the hybrid encoder's catalog model is
    needed by builds and updates only, so a server never pays its memory."""

    def __init__(
        self, model_path: str, query_prefix: str = "", passage_prefix: str = "", lazy: bool = False
    ) -> None:
        path = Path(model_path)
        if not path.is_dir():
            raise FileNotFoundError(f"sentence-transformers model directory not found: {path}")
        self.path = path
        self._model = None
        self._dim: int | None = None
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.name = f"st:{path.name}:{_model_fingerprint(path)}:{query_prefix}|{passage_prefix}"
        if not lazy:
            self._load()

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            get_dim = (
                getattr(self._model, "get_embedding_dimension", None)
                or self._model.get_sentence_embedding_dimension
            )
            self._dim = int(get_dim())
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._load()
        return int(self._dim)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        emb = self._load().encode(
            [prefix + t for t in texts],
            batch_size=64,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return l2_normalize(emb)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)
