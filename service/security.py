"""API keys and roles: public match/search, clerk/admin for tickets and catalog, analyst for analytics.

Keys come from settings (``QIS_API_KEYS=role:name:key,…``), never from code; they are compared in
constant time and never logged (only the key's name is).
"""

from __future__ import annotations

import hmac
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
