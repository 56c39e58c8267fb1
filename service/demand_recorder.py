"""Record matches in the demand log without losing one when the database cannot write.

The match was answered before its row is written, so a failure here is never the client's. The
rows go to the on-disk spool (``qis_match.store.demand_spool``) and are written, before anything
newer, by the next write that succeeds; ``/health`` shows how many wait, and ``/metrics`` counts
spooled and dropped requests (dropped only when the spool cannot keep them either).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from datetime import timedelta

from prometheus_client import Counter

from qis_match.referral.models import MatchResult
from qis_match.settings import Settings
from qis_match.store.demand_log import DemandLog, Exclusion, rows_from_result
from qis_match.store.demand_spool import DemandSpool
from qis_match.store.tickets import utcnow
from service.deps import AppState
from service.security import ClientAddress

log = logging.getLogger("qis_match.service")
_lock = threading.Lock()


class DemandRecorder:
    """One per service: the spool and the counters."""

    def __init__(self, spool: DemandSpool, registry=None) -> None:
        self.spool = spool
        self.spooled = Counter(
            "qis_demand_log_spooled",
            "Matches whose demand-log rows waited on disk because the database could not write",
            registry=registry,
        )
        self.dropped = Counter(
            "qis_demand_log_dropped",
            "Matches whose demand-log rows were lost (the database and the spool both failed)",
            registry=registry,
        )

    def record(
        self,
        demand_log: DemandLog | None,
        result: MatchResult,
        *,
        channel: str,
        request_id: str,
        actor: str | None = None,
        source: str | None = None,
    ) -> str:
        """Write one match (after any spooled ones); returns "written", "spooled" or "dropped"."""
        pairs = [
            rows_from_result(
                result,
                channel=channel,
                request_id=request_id,
                created_at=utcnow(),
                actor=actor,
                source=source,
            )
        ]
        if demand_log is not None:
            try:
                self.spool.replay(demand_log)
                demand_log.insert_rows(pairs)
                return "written"
            except Exception as exc:  # noqa: BLE001 - kept on disk below, whatever the cause
                log.warning("demand log: database write failed (%s); spooled", type(exc).__name__)
        if self.spool.append(pairs):
            self.spooled.inc()
            return "spooled"
        self.dropped.inc()
        log.error("demand log: a match could not be recorded or spooled; it is lost")
        return "dropped"


def recorder(st: AppState) -> DemandRecorder:
    """The service's demand recorder (its spool lies in the home folder, beside the index)."""
    rec = st.extra.get("demand_recorder")
    if rec is None:
        with _lock:
            rec = st.extra.get("demand_recorder")
            if rec is None:
                spool = DemandSpool(
                    st.settings.demand_spool_path, st.settings.demand_spool_max_bytes
                )
                rec = st.extra["demand_recorder"] = DemandRecorder(spool, st.extra.get("registry"))
    return rec


# --- the demand log as the matching and ticket services use it


def exclusion_rules(s: Settings) -> Exclusion:
    """What the analyses leave uncounted (repeats and bursts), from the settings."""
    return Exclusion(s.demand_repeat_seconds, s.demand_burst_max, s.demand_burst_seconds)


def demand_log(st: AppState) -> DemandLog | None:
    """The demand log on the ticket database's engine (None when the database is unavailable)."""
    if st.store is None:
        return None
    dl = st.extra.get("demand_log")
    if dl is None or dl.engine is not st.store.engine:
        dl = DemandLog(engine=st.store.engine, exclusion=exclusion_rules(st.settings))
        st.extra["demand_log"] = dl
    return dl


def source_of(st: AppState, request) -> str:
    """A pseudonym of the client that sent a request (its address as the rate limit sees it,
    keyed with this home's secret): floods from one source are recognised, and the log never
    holds an address."""
    secret = st.extra.get("demand_secret")
    if secret is None:
        secret = st.extra["demand_secret"] = _home_secret(st.settings.home / "demand-secret")
    address = ClientAddress(st.settings.trusted_proxies, st.settings.forwarded_header)
    peer = request.client.host if request.client else None
    client = address(peer, request.headers)
    return hmac.new(secret, client.encode(), hashlib.sha256).hexdigest()[:32]


def _home_secret(path) -> bytes:
    """A random key kept in the home folder (mode 0600), made on first use."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def record_match(
    st: AppState,
    result: MatchResult,
    channel: str,
    request_id: str,
    actor: str | None = None,
    source: str | None = None,
) -> None:
    """Log one match. Runs after the response; never raises."""
    if not st.settings.demand_log:
        return
    try:
        dl = demand_log(st)
    except Exception:  # noqa: BLE001 - spooled below
        dl = None
    try:
        recorder(st).record(
            dl, result, channel=channel, request_id=request_id, actor=actor, source=source
        )
    except Exception as exc:  # noqa: BLE001 - the match was already answered
        log.error("demand log: could not record a match (%s)", type(exc).__name__)


def link_request(
    st: AppState, result: MatchResult, request_id: str | None, actor: str
) -> str | None:
    """The demand-log request a new ticket comes from: the one named, else the console's recent
    match of the same text (not counted twice), else the ticket's own match, logged now."""
    if not st.settings.demand_log:
        return None
    try:
        dl = demand_log(st)
        if dl is None:
            return None
        if request_id and dl.exists(request_id):
            return request_id
        found = dl.find_recent(result.text, utcnow() - timedelta(hours=2))
        return found or dl.record(result, channel="ticket", actor=actor)
    except Exception as exc:  # noqa: BLE001 - a ticket is created even if the log is down
        log.warning("demand log: could not link a ticket (%s)", type(exc).__name__)
        return None
