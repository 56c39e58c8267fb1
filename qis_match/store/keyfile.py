"""API keys kept as salted hashes in one file (issue 22), so no key lives in the environment.

``<home>/keys.json`` (``QIS_KEY_FILE``) holds, per key, its name, role, id, salt, scrypt hash and
when it was issued and revoked: never the key. An issued key reads ``qk_<id>_<secret>``; the id
is public (it names the one entry to check, so a request costs one hash, not one per key) and the
secret is 32 random bytes, so a fast scrypt is as safe as a slow one. Entries without an id (the
hashes of ``QIS_API_KEYS`` handed to ``serve --workers`` processes) are checked one by one.

The file is created 0600 and replaced atomically (a temporary file in the same folder, fsync,
``os.replace``, fsync of the folder) under an ``fcntl`` lock of its own, so two admins issuing at
once never lose one's key and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("qis_match.store")
ROLES = ("clerk", "admin", "analyst")
PREFIX = "qk_"
# scrypt cost: the secrets are 256-bit random, so brute force is hopeless at any cost; this keeps a
# first check of a key at ~5 ms (later requests hit the service's cache).
_N, _R, _P = 2**11, 8, 1
FORMAT = 1


class KeyFileError(ValueError):
    """A key file request that cannot be done (unknown name, duplicate name, bad role)."""


@dataclass(frozen=True)
class KeyEntry:
    name: str
    role: str
    salt: str  # hex
    hash: str  # hex, scrypt(key, salt)
    created_at: str
    key_id: str | None = None
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def matches(self, presented: bytes) -> bool:
        """Constant-time comparison of the presented key's hash with the stored one."""
        got = hash_key(presented, bytes.fromhex(self.salt))
        return hmac.compare_digest(got, bytes.fromhex(self.hash))


def hash_key(key: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(key, salt=salt, n=_N, r=_R, p=_P, dklen=32)


def key_id_of(presented: str) -> str | None:
    """The public id of an issued key (``qk_<id>_<secret>``), None for any other key."""
    if not presented.startswith(PREFIX):
        return None
    kid, sep, secret = presented[len(PREFIX) :].partition("_")
    return kid if sep and kid and secret else None


def entry_for(name: str, role: str, key: str, key_id: str | None = None) -> KeyEntry:
    """A new entry holding the hash of ``key``."""
    if role not in ROLES:
        raise KeyFileError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    salt = secrets.token_bytes(16)
    return KeyEntry(
        name=name,
        role=role,
        salt=salt.hex(),
        hash=hash_key(key.encode(), salt).hex(),
        created_at=_now(),
        key_id=key_id,
    )


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One writer of ``path`` at a time, across processes (``<path>.lock``, as the demand spool
    and the index writer lock do)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` (mode 0600) so that a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)  # mkstemp makes 0600 already; said again, whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_entries(path: Path) -> list[KeyEntry]:
    """The entries of a key file; none when it does not exist."""
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        return []
    if not isinstance(raw, dict) or not isinstance(raw.get("keys", []), list):
        raise ValueError(f"{path} is not a key file")
    return [KeyEntry(**e) for e in raw.get("keys", [])]


def write_entries(path: Path, entries: list[KeyEntry]) -> None:
    body = {"format": FORMAT, "keys": [asdict(e) for e in entries]}
    write_atomically(Path(path), json.dumps(body, ensure_ascii=False, indent=1) + "\n")


class KeyFile:
    """The persistent key store an admin manages with ``qis-match keys``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def entries(self) -> list[KeyEntry]:
        return read_entries(self.path)

    def issue(self, name: str, role: str) -> tuple[KeyEntry, str]:
        """A new key for ``name`` (returned once, never stored) and its entry."""
        if not name or len(name) > 100 or any(c in name for c in ",:\n"):
            raise KeyFileError("a key name is 1–100 characters without ',', ':' or line breaks")
        key_id = secrets.token_hex(4)
        key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        entry = entry_for(name, role, key, key_id)
        with locked(self.path):
            entries = self.entries()
            if any(e.name == name and e.active for e in entries):
                raise KeyFileError(f"an active key named {name!r} exists: revoke it first")
            write_entries(self.path, [*entries, entry])
        log.info("key issued: %s (%s)", name, role)
        return entry, key

    def revoke(self, name: str) -> int:
        """Revoke every active key named ``name``; how many were."""
        with locked(self.path):
            entries = self.entries()
            hit = [e for e in entries if e.name == name and e.active]
            if not hit:
                raise KeyFileError(f"no active key named {name!r}")
            now = _now()
            write_entries(
                self.path,
                [KeyEntry(**{**asdict(e), "revoked_at": now}) if e in hit else e for e in entries],
            )
        log.info("key revoked: %s", name)
        return len(hit)


def write_session_keys(folder: Path, spec_entries: list[tuple[str, str, str]]) -> Path:
    """The hashes of configured keys (``QIS_API_KEYS`` or the random keys of a session) in a new
    0600 file under ``folder``, for ``serve --workers`` processes to read instead of the
    environment. The caller deletes it when the service stops."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".session-keys-", suffix=".json")
    os.close(fd)
    path = Path(tmp)
    write_entries(path, [entry_for(name, role, key) for role, name, key in spec_entries])
    return path
