"""Embeddings cached by (model, text), so a rebuild after a small catalog change re-embeds only
what changed. SQLite: one file, safe for concurrent readers and a writer, no server.

The cache is only a cache: a corrupt or truncated file is set aside (``*.corrupt-<time>``) with
one WARNING line and a fresh cache is started, so a build or update re-embeds instead of failing.
A vector whose stored length does not match its dimension is not trusted either."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    """A damaged file, not a busy one: "database is locked" is an OperationalError to raise."""
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not _corrupt(exc):
                raise
            self._db = self._start_over(exc)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS emb (model TEXT NOT NULL, key BLOB NOT NULL, dim INTEGER NOT NULL,"
                " vec BLOB NOT NULL, PRIMARY KEY (model, key))"
            )
            db.commit()
            ok = db.execute("PRAGMA quick_check").fetchone()
            if not ok or ok[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {ok[0] if ok else 'no answer'}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _start_over(self, exc: Exception) -> sqlite3.Connection:
        """Set the unreadable cache aside (kept for inspection) and open an empty one."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                part.replace(Path(str(aside) + suffix))
        log.warning(
            "embedding cache %s is unreadable (%s): set aside as %s; embeddings are recomputed",
            self.path,
            exc,
            aside.name,
        )
        return self._open()

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
                try:
                    rows = self._db.execute(q, [model, *chunk]).fetchall()
                except sqlite3.DatabaseError as exc:
                    if not _corrupt(exc):
                        raise
                    self._db.close()
                    self._db = self._start_over(exc)
                    return {}
                for key, d, vec in rows:
                    if d != dim or len(vec) != 4 * dim:
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
            try:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?)", rows)
                self._db.commit()
            except sqlite3.DatabaseError as exc:
                if not _corrupt(exc):
                    raise
                self._db.close()
                self._db = self._start_over(exc)
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?)", rows)
                self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
