"""Embeddings cached by (model, text), so a rebuild after a small catalog change re-embeds only
what changed. SQLite: one file, safe for concurrent readers and a writer, no server."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb (model TEXT NOT NULL, key BLOB NOT NULL, dim INTEGER NOT NULL,"
            " vec BLOB NOT NULL, PRIMARY KEY (model, key))"
        )
        self._db.commit()

    def get_many(self, model: str, texts: Sequence[str], dim: int) -> dict[int, np.ndarray]:
        """Positions in ``texts`` that are cached, with their vectors."""
        keys = [text_key(t) for t in texts]
        pos: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            pos.setdefault(k, []).append(i)
        found: dict[int, np.ndarray] = {}
        uniq = list(pos)
        with self._lock:
            for start in range(0, len(uniq), 500):
                chunk = uniq[start : start + 500]
                q = f"SELECT key, dim, vec FROM emb WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
                for key, d, vec in self._db.execute(q, [model, *chunk]):
                    if d != dim:
                        continue
                    v = np.frombuffer(vec, dtype=np.float32)
                    for i in pos[key]:
                        found[i] = v
        return found

    def put_many(self, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (model, text_key(t), int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?)", rows)
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
