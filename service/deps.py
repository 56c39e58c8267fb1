"""Shared state and FastAPI dependencies: the matcher, the ticket store, the caller's identity."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.exc import SQLAlchemyError

from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.tickets import TicketStore
from service.reload import IndexReloader
from service.security import KeyRing, Principal

log = logging.getLogger("qis_match.service")
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
    reloader: IndexReloader | None = None  # serves the newest index version (service.reload)
    extra: dict = field(default_factory=dict)
    # A database that was down at start is tried again, at most this often, when a request needs it.
    store_retry_seconds: float = 2.0
    _store_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _store_tried: float = 0.0


def state(request: Request) -> AppState:
    return request.app.state.qis


def matcher(st: AppState = Depends(state)) -> Matcher:
    if st.reloader is not None:
        st.reloader.maybe_reload()  # a newer index version (build or update) is picked up
    if st.matcher is None:
        raise HTTPException(503, st.matcher_error or "no index loaded: run `qis-match build`")
    return st.matcher


def reopen_store(st: AppState) -> None:
    """Open the ticket store if it could not be opened before, so the service recovers by itself
    when the database comes back (instead of answering 503 until restarted)."""
    if st.store is not None or time.monotonic() - st._store_tried < st.store_retry_seconds:
        return
    with st._store_lock:
        if st.store is not None:
            return
        st._store_tried = time.monotonic()
        try:
            st.store = TicketStore(st.settings.db_url, st.settings.time_limit_days)
            st.store_error = None
            log.warning("database available again")
        except (SQLAlchemyError, OSError) as exc:
            log.error("database still unavailable: %s", type(exc).__name__)


def store(st: AppState = Depends(state)) -> TicketStore:
    reopen_store(st)
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
