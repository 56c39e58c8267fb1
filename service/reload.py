"""Serve the newest index version without a restart.

A build or an incremental update (CLI or API) publishes a new version by rewriting ``CURRENT``.
Requests check that file at most every ``index_check_seconds`` (one ``stat``); when it changed, a
new Matcher is loaded in a background thread while the old one keeps serving, then swapped in with
one assignment — no request ever sees a half-loaded index. An update made through the API reloads
before it answers, so the very next request sees the change.
"""

from __future__ import annotations

import logging
import threading
import time

from qis_match.errors import QisError
from qis_match.pipeline import Matcher
from qis_match.store.index_store import IndexStore

log = logging.getLogger("qis_match.service")


class IndexReloader:
    def __init__(self, state, interval: float = 2.0) -> None:
        self.state = state
        self.interval = interval
        self.store = IndexStore(state.settings.index_root)
        self._next_check = 0.0
        self._loading = threading.Lock()

    def _wanted(self) -> str | None:
        try:
            return self.store.current_version()
        except OSError:
            return None

    def maybe_reload(self) -> None:
        """Cheap, called per request: start a background load when CURRENT moved."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.interval
        current = self.state.matcher.index.version if self.state.matcher else None
        wanted = self._wanted()
        if wanted and wanted != current and not self._loading.locked():
            threading.Thread(target=self.reload_now, name="index-reload", daemon=True).start()

    def reload_now(self) -> str | None:
        """Load the current version (if not already serving it) and switch to it."""
        with self._loading:
            st = self.state
            wanted = self._wanted()
            old = st.matcher
            if wanted is None or (old is not None and old.index.version == wanted):
                return wanted
            try:
                new = Matcher(
                    st.settings,
                    encoder=old.encoder if old is not None else None,
                    tokenizer=old.tokenizer if old is not None else None,
                )
            except (QisError, OSError, ValueError) as exc:  # keep serving the old one
                log.error("index %s could not be loaded: %s", wanted, exc)
                return old.index.version if old is not None else None
            st.matcher, st.matcher_error = new, None
            log.info("now serving index %s (was %s)", wanted, old.index.version if old else None)
            return wanted
