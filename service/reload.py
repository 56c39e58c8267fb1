"""Serve the newest good index version without a restart.

A build or an incremental update (CLI or API) publishes a new version by rewriting ``CURRENT``.
Requests check that file at most every ``index_check_seconds`` (one small read); when it changed,
a new Matcher is loaded in a background thread while the old one keeps serving, then swapped in
with one assignment — no request ever sees a half-loaded index. An update made through the API
reloads before it answers, so the very next request sees the change.

Every version is verified before it serves (``IndexStore.verify``: checksums, every file opened,
one known query). A version that fails, or a ``CURRENT`` that is damaged, never takes the service
down (issue 24):

- at start, the newest version that verifies and loads serves (older ones first, newest first);
- at reload, the version already serving keeps serving;
- either way :attr:`IndexReloader.status` says which version serves, which was wanted and why it
  is not served (``/health``, ``qis_index_degraded`` in ``/metrics``); the failure is logged once,
  in one line, and retried with a doubling wait (up to ``index_retry_max_seconds``), or at once
  when ``CURRENT`` changes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from qis_match.encoders import Encoder, make_encoder
from qis_match.pipeline import Matcher
from qis_match.store.index_store import IndexStore
from qis_match.text.tokenize import QiTokenizer, default_tokenizer

log = logging.getLogger("qis_match.service")


@dataclass
class IndexStatus:
    """What the service knows about its index: ``problems`` maps a version (or ``CURRENT``) that
    cannot be served to why; it is empty when CURRENT's version serves."""

    wanted: str | None = None
    serving: str | None = None
    problems: dict[str, str] = field(default_factory=dict)
    failures: int = 0  # failed loads since start (a counter, for /metrics)

    @property
    def degraded(self) -> bool:
        return bool(self.problems)

    def to_dict(self) -> dict:
        return {
            "index_degraded": self.degraded,
            "index_wanted": self.wanted,
            "index_problems": [{"version": v, "reason": r} for v, r in self.problems.items()],
        }


class IndexReloader:
    def __init__(self, state, interval: float = 2.0, max_backoff: float | None = None) -> None:
        self.state = state
        self.interval = interval
        settings = state.settings
        self.max_backoff = (
            max_backoff
            if max_backoff is not None
            else getattr(settings, "index_retry_max_seconds", 60.0)
        )
        self.store = IndexStore(settings.index_root)
        self.status = IndexStatus()
        self._next_check = 0.0
        self._loading = threading.Lock()
        self._failed_marker: str | None = None  # CURRENT's content at the last failure
        self._retry_at = 0.0
        self._delay = 0.0
        self._reported: set[tuple[str, str]] = set()
        self._encoder: Encoder | None = None  # made once at start, whichever version loads
        self._tokenizer: QiTokenizer | None = None
        self._register_metrics(state.extra.get("registry") if hasattr(state, "extra") else None)

    def _register_metrics(self, registry) -> None:
        if registry is None:
            return
        from prometheus_client import Counter, Gauge

        Gauge(
            "qis_index_degraded",
            "1 when the service does not serve the version CURRENT names (see /health)",
            registry=registry,
        ).set_function(lambda: 1.0 if self.status.degraded else 0.0)
        failures = Counter(
            "qis_index_load_failures",
            "Index versions that failed verification or loading in the service",
            registry=registry,
        )
        self._failures_metric = failures

    def _marker(self) -> str:
        """CURRENT's content as read now (a change of it means: try at once)."""
        wanted, problem = self.store.read_current()
        return wanted or f"!{problem}"

    def maybe_reload(self) -> None:
        """Cheap, called per request: start a background load when CURRENT moved, or when a
        failed version is due for another try."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.interval
        try:
            marker = self._marker()
        except Exception:  # noqa: BLE001 - never let a check break a request
            return
        m = self.state.matcher
        serving = m.index.version if m is not None else None
        if marker == serving and not self.status.problems:
            return  # CURRENT's version serves
        if marker == self._failed_marker and now < self._retry_at:
            return  # it failed before: wait out the backoff
        if not self._loading.locked():
            threading.Thread(target=self.reload_now, name="index-reload", daemon=True).start()

    def reload_now(self) -> str | None:
        """Serve the version CURRENT names if it verifies and loads; else keep the one serving,
        or (nothing serving yet: at start) the newest good older one. Never raises."""
        with self._loading:
            try:
                return self._reload()
            except Exception as exc:  # noqa: BLE001 - the reloader must never die or loop
                reason = f"{type(exc).__name__}: {str(exc)[:200]}"
                self._record("!reload failed", {self.status.wanted or "CURRENT": reason})
                m = self.state.matcher
                return m.index.version if m is not None else None

    def _reload(self) -> str | None:
        st = self.state
        wanted, current_problem = self.store.read_current()
        marker = wanted or f"!{current_problem}"
        old = st.matcher
        self.status.wanted = wanted
        if old is not None and wanted is not None and old.index.version == wanted:
            self._succeeded(wanted)
            return wanted
        problems: dict[str, str] = {}
        if wanted is None and not self.store.versions():
            problems["CURRENT"] = f"no index at {self.store.root}: run `qis-match build` first"
        elif wanted is None:
            problems["CURRENT"] = current_problem or "CURRENT names no version"
        else:
            new, reason = self._try(wanted, old)
            if new is not None:
                self._swap(new, old)
                self._succeeded(wanted)
                return wanted
            problems[wanted] = reason
        if old is None:  # nothing serves: the newest good version that does
            for version in self.store.fallbacks(wanted):
                new, reason = self._try(version, None)
                if new is not None:
                    self._swap(new, None)
                    break
                problems[version] = reason
        self._record(marker, problems)
        m = st.matcher
        if m is None:
            st.matcher_error = "no index version could be loaded: " + "; ".join(
                f"{v}: {r}" for v, r in problems.items()
            )
        return m.index.version if m is not None else None

    def _try(self, version: str, old: Matcher | None) -> tuple[Matcher | None, str]:
        """A Matcher over ``version`` if it verifies and loads, else (None, why)."""
        s = self.state.settings
        report = self.store.verify(
            self.store.root / version, ef_search=s.hnsw_ef_search, nprobe=s.ivf_nprobe
        )
        if not report.ok:
            return None, report.reason
        try:
            if old is not None:
                encoder, tokenizer = old.encoder, old.tokenizer
            else:  # the same components a Matcher would make, made once for every try
                if self._encoder is None and (
                    s.retrieval != "bm25" or s.needs_model == "classifier"
                ):
                    self._encoder = make_encoder(s)
                self._tokenizer = self._tokenizer or default_tokenizer()
                encoder, tokenizer = self._encoder, self._tokenizer
            return Matcher(s, index=report.index, encoder=encoder, tokenizer=tokenizer), ""
        except Exception as exc:  # noqa: BLE001 - whatever a version raises, the old one serves
            return None, f"{type(exc).__name__}: {str(exc)[:200]}"

    def _swap(self, new: Matcher, old: Matcher | None) -> None:
        st = self.state
        st.matcher, st.matcher_error = new, None
        self.status.serving = new.index.version
        log.info(
            "now serving index %s (was %s)", new.index.version, old.index.version if old else None
        )

    def _succeeded(self, version: str) -> None:
        if self.status.problems:
            log.warning("index %s serves; the earlier problems are resolved", version)
        self.status.serving = version
        self.status.problems = {}
        self._failed_marker, self._delay, self._retry_at = None, 0.0, 0.0
        self._reported.clear()

    def _record(self, marker: str, problems: dict[str, str]) -> None:
        """Keep the problems for /health, log each new one once (one line, no traceback), and
        back off before the next try of the same CURRENT."""
        m = self.state.matcher
        self.status.serving = m.index.version if m is not None else None
        self.status.problems = problems
        for version, reason in problems.items():
            self._failed(version, reason)
        if marker != self._failed_marker:
            self._delay = max(self.interval, 1.0)
        else:
            self._delay = min(self._delay * 2 or max(self.interval, 1.0), self.max_backoff)
        self._failed_marker = marker
        self._retry_at = time.monotonic() + self._delay

    def _failed(self, version: str, reason: str) -> None:
        self.status.failures += 1
        if hasattr(self, "_failures_metric"):
            self._failures_metric.inc()
        if (version, reason) in self._reported:
            log.debug("index %s still fails: %s", version, reason)
            return
        self._reported.add((version, reason))
        m = self.state.matcher
        serving = m.index.version if m is not None else None
        log.error(
            "index %s cannot be served (%s); serving %s; retrying with backoff",
            version,
            reason,
            serving or "nothing",
        )
