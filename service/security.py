"""API keys and roles: public match/search, clerk/admin for tickets and catalog, analyst for analytics;
and who the client is behind a reverse proxy (:class:`ClientAddress`).

Keys come from settings (``QIS_API_KEYS=role:name:key,…``), never from code; they are compared in
constant time and never logged (only the key's name is).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass

ROLES = ("clerk", "admin", "analyst")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str


class KeyRing:
    def __init__(self, entries: list[tuple[str, str, str]]) -> None:
        for role, name, key in entries:
            if role not in ROLES:
                raise ValueError(
                    f"unknown role {role!r} for key {name!r}; roles: {', '.join(ROLES)}"
                )
            if len(key) < 16:
                raise ValueError(f"key {name!r} is too short: use at least 16 characters")
        self._entries = [(role, name, key.encode()) for role, name, key in entries]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        entries = []
        for item in filter(None, (x.strip() for x in spec.split(","))):
            parts = item.split(":", 2)
            if len(parts) != 3 or not all(parts):
                raise ValueError("QIS_API_KEYS entries are role:name:key, separated by commas")
            entries.append((parts[0], parts[1], parts[2]))
        return cls(entries)

    @classmethod
    def generate(cls) -> tuple[KeyRing, str]:
        """Random keys for one role each, for a session that configured none."""
        spec = ",".join(f"{r}:{r}-demo:{secrets.token_urlsafe(24)}" for r in ROLES)
        return cls.parse(spec), spec

    def __bool__(self) -> bool:
        return bool(self._entries)

    def identify(self, presented: str | None) -> Principal | None:
        """The principal a key belongs to. Every configured key is compared, in constant time."""
        if not presented:
            return None
        got = presented.encode()
        found = None
        for role, name, key in self._entries:
            if hmac.compare_digest(got, key) and found is None:
                found = Principal(name, role)
        return found


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
