"""Shared state and FastAPI dependencies: the matcher, the ticket store, the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.tickets import TicketStore
from service.security import KeyRing, Principal

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Clerk, admin or analyst key"
)


@dataclass
class AppState:
    settings: Settings
    keys: KeyRing
    matcher: Matcher | None = None
    matcher_error: str | None = None
    store: TicketStore | None = None
    store_error: str | None = None
    extra: dict = field(default_factory=dict)


def state(request: Request) -> AppState:
    return request.app.state.qis


def matcher(st: AppState = Depends(state)) -> Matcher:
    if st.matcher is None:
        raise HTTPException(503, st.matcher_error or "no index loaded: run `qis-match build`")
    return st.matcher


def store(st: AppState = Depends(state)) -> TicketStore:
    if st.store is None:
        raise HTTPException(503, st.store_error or "database unavailable")
    return st.store


def require(*roles: str):
    """Dependency: the caller must present a key of one of ``roles``."""

    def check(
        key: str | None = Depends(api_key_header), st: AppState = Depends(state)
    ) -> Principal:
        who = st.keys.identify(key)
        if who is None:
            raise HTTPException(
                401,
                "missing or unknown API key (header X-API-Key)",
                headers={"WWW-Authenticate": "ApiKey"},
            )
        if who.role not in roles:
            raise HTTPException(403, f"this needs a {' or '.join(roles)} key; yours is {who.role}")
        return who

    return check
