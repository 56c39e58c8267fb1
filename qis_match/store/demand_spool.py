"""Demand rows kept on disk while the database cannot take them, replayed when it can.

A match is answered before its demand-log row is written. When that write fails (the database is
read-only, locked, gone), the rows go to an append-only JSON-lines file beside the index instead
of being dropped; the next write that succeeds replays them first. Only what the disk cannot hold
either (over ``max_bytes``, or the disk itself failing) is dropped, and that is counted.

Replay renames the file before reading it, so rows appended meanwhile start a new file and are
never lost; a replay cut short by a crash is finished next time, and a request id already in the
database is skipped, so no row is counted twice. An ``fcntl`` lock keeps the workers of one
host (``serve --workers N``) from interleaving lines.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from qis_match.store.demand_log import DemandLog, DemandRequest

log = logging.getLogger(__name__)

Pair = tuple[dict, list[dict]]


def _encode(pair: Pair) -> str:
    req, needs = pair
    row = {**req, "created_at": req["created_at"].isoformat()}
    return json.dumps([row, needs], ensure_ascii=False, default=str)


def _decode(line: str) -> Pair:
    req, needs = json.loads(line)
    req["created_at"] = datetime.fromisoformat(req["created_at"])
    return req, needs


class DemandSpool:
    """An on-disk queue of demand rows: ``append`` when the database fails, ``replay`` after."""

    def __init__(self, path: Path, max_bytes: int = 50_000_000) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _replaying(self) -> Path:
        return self.path.with_name(self.path.name + ".replaying")

    def pending(self) -> int:
        """Requests waiting to be written (lines in the spool and in an unfinished replay)."""
        n = 0
        for p in (self.path, self._replaying()):
            try:
                with open(p, encoding="utf-8") as fh:
                    n += sum(1 for line in fh if line.strip())
            except FileNotFoundError:
                pass
        return n

    def append(self, pairs: list[Pair]) -> bool:
        """Keep ``pairs`` on disk (fsync'd); False when they could not be kept (full, or the disk
        failing): the caller counts them as dropped."""
        data = "".join(_encode(p) + "\n" for p in pairs)
        try:
            with self._locked():
                size = self.path.stat().st_size if self.path.exists() else 0
                if size + len(data.encode("utf-8")) > self.max_bytes:
                    return False
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            return True
        except OSError as exc:
            log.error("demand spool: could not keep %d request(s) (%s)", len(pairs), exc)
            return False

    def replay(self, demand_log: DemandLog) -> int:
        """Write the spooled rows to the database; returns how many requests were written. Raises
        what the database raises (the rows stay spooled)."""
        if not self.path.exists() and not self._replaying().exists():
            return 0
        written = 0
        with self._locked():
            replaying = self._replaying()
            # an unfinished replay first, then what was spooled since
            while replaying.exists() or self.path.exists():
                if not replaying.exists():
                    os.replace(self.path, replaying)
                written += self._write(replaying, demand_log)
                replaying.unlink()
        if written:
            log.info("demand spool: %d spooled request(s) written to the database", written)
        return written

    @staticmethod
    def _write(path: Path, demand_log: DemandLog) -> int:
        with open(path, encoding="utf-8") as fh:
            pairs = [_decode(line) for line in fh if line.strip()]
        ids = [req["request_id"] for req, _ in pairs]
        known: set[str] = set()
        with demand_log.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                q = select(DemandRequest.request_id).where(
                    DemandRequest.request_id.in_(ids[i : i + 500])
                )
                known.update(conn.execute(q).scalars())
        fresh = [p for p in pairs if p[0]["request_id"] not in known]
        demand_log.insert_rows(fresh)
        return len(fresh)
