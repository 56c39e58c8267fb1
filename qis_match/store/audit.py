"""The audit log of admin actions (issue 22): who issued or revoked a key, updated the catalog,
pinned an index version, restored a backup, applied retention or erased an enterprise.

One JSON object a line in ``<home>/audit.jsonl`` (``QIS_AUDIT_LOG``): time, actor (a key's name,
or ``cli:<user>``), action, target and details. The file is only ever appended to (opened
``O_APPEND``, mode 0600, one ``write`` per line under an ``fcntl`` lock, fsynced) and no API route
writes or deletes it; ``qis-match audit`` reads it. Details never hold a key or personal data.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import logging
import os
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("qis_match.store")


def cli_actor() -> str:
    """The actor of a command run on the server: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return f"cli:uid{os.getuid()}"


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def record(self, actor: str, action: str, target: str, **details) -> dict:
        """Append one entry durably; returns it."""
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "actor": actor,
            "action": action,
            "target": target,
            **({"details": details} if details else {}),
        }
        line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        log.info("audit: %s %s %s", actor, action, target)
        return entry

    def tail(self, n: int = 50) -> list[dict]:
        """The last ``n`` entries, oldest first (a torn last line, from a crash, is skipped)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                lines = deque(fh, maxlen=n) if n > 0 else list(fh)
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out
