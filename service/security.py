"""API keys and roles: public match/search, clerk/admin for tickets and catalog, analyst for analytics;
and who the client is behind a reverse proxy (:class:`ClientAddress`).

Keys come from settings (``QIS_API_KEYS=role:name:key,…``) and from the key file of issued keys
(``qis-match keys``, salted hashes only: ``qis_match.store.keyfile``), never from code; they are
compared in constant time and never logged (only the key's name is). The key file is looked at
again at most every ``QIS_KEY_CHECK_SECONDS``, so an issued or revoked key counts without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qis_match.settings import Settings
from qis_match.store.keyfile import KeyEntry, key_id_of, read_entries

log = logging.getLogger("qis_match.service")
ROLES = ("clerk", "admin", "analyst")
_CACHE_MAX = 4096


@dataclass(frozen=True)
class Principal:
    name: str
    role: str


class KeyRing:
    """The keys the service accepts: configured ones (``entries``) and the entries of
    ``key_files`` (issued keys; the session keys of ``serve --workers``), re-read when changed."""

    def __init__(
        self,
        entries: list[tuple[str, str, str]],
        key_files: Sequence[Path] = (),
        check_seconds: float = 1.0,
    ) -> None:
        for role, name, key in entries:
            if role not in ROLES:
                raise ValueError(
                    f"unknown role {role!r} for key {name!r}; roles: {', '.join(ROLES)}"
                )
            if len(key) < 16:
                raise ValueError(f"key {name!r} is too short: use at least 16 characters")
        self._entries = [(role, name, key.encode()) for role, name, key in entries]
        self._files = [Path(p) for p in key_files]
        self._check_seconds = check_seconds
        self._checked = float("-inf")
        self._stamp: tuple = ()
        self._by_id: dict[str, KeyEntry] = {}
        self._unnamed: list[KeyEntry] = []
        self._lock = threading.Lock()
        # presented key (keyed by an HMAC with a per-process secret) -> principal, so a key's
        # scrypt is computed once per change of the files, not on every request
        self._pepper = secrets.token_bytes(32)
        self._cache: dict[bytes, Principal] = {}

    @classmethod
    def parse(
        cls, spec: str, key_files: Sequence[Path] = (), check_seconds: float = 1.0
    ) -> KeyRing:
        entries = []
        for item in filter(None, (x.strip() for x in spec.split(","))):
            parts = item.split(":", 2)
            if len(parts) != 3 or not all(parts):
                raise ValueError("QIS_API_KEYS entries are role:name:key, separated by commas")
            entries.append((parts[0], parts[1], parts[2]))
        return cls(entries, key_files, check_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """``QIS_API_KEYS``, the key file, and the session key file of a ``--workers`` parent."""
        files = [settings.key_file_path]
        if settings.session_key_file:
            files.append(settings.session_key_file)
        return cls.parse(settings.api_keys, files, settings.key_check_seconds)

    @classmethod
    def generate(cls) -> tuple[KeyRing, str]:
        """Random keys for one role each, for a session that configured none."""
        spec = ",".join(f"{r}:{r}-demo:{secrets.token_urlsafe(24)}" for r in ROLES)
        return cls.parse(spec), spec

    def with_spec(self, spec: str) -> KeyRing:
        """This ring's key files plus the keys of ``spec`` (a session's random keys)."""
        return KeyRing.parse(spec, self._files, self._check_seconds)

    def __bool__(self) -> bool:
        self._refresh()
        return bool(self._entries or self._by_id or self._unnamed)

    def _refresh(self) -> None:
        """Re-read the key files if one changed (inode, size or mtime), at most every
        ``check_seconds``; a file that cannot be read keeps the entries last read."""
        if not self._files or time.monotonic() - self._checked < self._check_seconds:
            return
        with self._lock:
            self._checked = time.monotonic()
            stamp = tuple(_stamp(p) for p in self._files)
            if stamp == self._stamp:
                return
            try:
                entries = [e for p in self._files for e in read_entries(p) if e.active]
            except (OSError, ValueError, TypeError) as exc:
                log.error("key file unreadable, keeping the keys read before: %s", exc)
                return
            self._by_id = {e.key_id: e for e in entries if e.key_id}
            self._unnamed = [e for e in entries if not e.key_id]
            self._cache = {}
            self._stamp = stamp
            log.info("key files read: %d active keys", len(entries))

    def identify(self, presented: str | None) -> Principal | None:
        """The principal a key belongs to. Every configured key is compared, in constant time."""
        if not presented:
            return None
        got = presented.encode()
        found = None
        for role, name, key in self._entries:
            if hmac.compare_digest(got, key) and found is None:
                found = Principal(name, role)
        if found is not None or not self._files:
            return found
        return self._identify_in_files(presented, got)

    def _identify_in_files(self, presented: str, got: bytes) -> Principal | None:
        self._refresh()
        tag = hmac.new(self._pepper, got, hashlib.sha256).digest()
        cache = self._cache
        if tag in cache:
            return cache[tag]
        kid = key_id_of(presented)
        candidates = [self._by_id[kid]] if kid in self._by_id else []
        candidates += self._unnamed
        for e in candidates:
            if e.matches(got):
                if len(cache) >= _CACHE_MAX:
                    cache.clear()
                cache[tag] = found = Principal(e.name, e.role)
                return found
        return None


def _stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ClientAddress:
    """The client's address for rate limits and quotas (issue 24).

    The peer of the TCP connection is the client, unless it is one of the ``trusted`` reverse
    proxies (a setting, none by default): only then is the forwarded header read, from the right
    (the hop nearest to us), skipping the trusted proxies on the way; the first address that is
    not one is the client. A header from any other peer is ignored, so a forged
    ``X-Forwarded-For`` buys no fresh budget.
    """

    def __init__(self, trusted: str = "", header: str = "x-forwarded-for") -> None:
        nets = []
        for item in filter(None, (x.strip() for x in trusted.split(","))):
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"QIS_TRUSTED_PROXIES: {item!r} is not an address or network"
                ) from None
        self.trusted = tuple(nets)
        if header not in ("x-forwarded-for", "forwarded"):
            raise ValueError("QIS_FORWARDED_HEADER is x-forwarded-for or forwarded")
        self.header = header

    def is_trusted(self, host: str | None) -> bool:
        ip = _ip(host)
        return ip is not None and any(ip in net for net in self.trusted)

    def __call__(self, peer: str | None, headers) -> str:
        """``peer``: the connection's address; ``headers``: the request's (a mapping with
        ``getlist`` like Starlette's, or a plain dict)."""
        peer = peer or "?"
        if not self.trusted or not self.is_trusted(peer):
            return peer
        values = headers.getlist(self.header) if hasattr(headers, "getlist") else []
        if not values and self.header in headers:
            values = [headers[self.header]]
        hops = _forwarded_for(values) if self.header == "forwarded" else _x_forwarded_for(values)
        client = peer
        for hop in reversed(hops):
            if _ip(hop) is None:  # garbage or an obfuscated identifier: stop at what we know
                break
            client = hop
            if not self.is_trusted(hop):
                break
        return client


def _ip(host: str | None):
    if not host:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _x_forwarded_for(values: list[str]) -> list[str]:
    return [h.strip() for v in values for h in v.split(",") if h.strip()]


def _forwarded_for(values: list[str]) -> list[str]:
    """The ``for=`` of each element of RFC 7239 ``Forwarded`` headers, without port or
    brackets ("[2001:db8::1]:4711" → 2001:db8::1)."""
    out = []
    for v in values:
        for element in v.split(","):
            for pair in element.split(";"):
                key, _, value = pair.strip().partition("=")
                if key.strip().lower() != "for":
                    continue
                value = value.strip().strip('"')
                if value.startswith("["):
                    value = value[1 : value.find("]")] if "]" in value else value[1:]
                elif value.count(":") == 1:  # IPv4 with a port
                    value = value.split(":")[0]
                out.append(value)
    return out
