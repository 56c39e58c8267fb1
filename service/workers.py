"""What ``qis-match serve --workers N`` hands its worker processes (issue 22).

Workers are new processes that build their own app from the environment they inherit. A key in
that environment is readable in ``/proc/<pid>/environ`` by anyone who may read the process, so
the keys go another way: the hashes of the configured keys (``QIS_API_KEYS``, or the session's
random keys) are written to a 0600 file under the home, named by ``QIS_SESSION_KEY_FILE``, and
``QIS_API_KEYS`` is emptied (an empty value also overrides one from the TOML file). Issued keys
are in the key file (``QIS_KEY_FILE``) already, which each worker reads itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import MutableMapping
from pathlib import Path

from qis_match.settings import Settings
from qis_match.store.keyfile import write_session_keys

log = logging.getLogger("qis_match.service")


def parse_spec(spec: str) -> list[tuple[str, str, str]]:
    """``role:name:key,…`` as (role, name, key) triples (checked by ``KeyRing.parse`` before)."""
    out = []
    for item in filter(None, (x.strip() for x in spec.split(","))):
        role, name, key = item.split(":", 2)
        out.append((role, name, key))
    return out


def prepare_worker_environment(
    settings: Settings, spec: str, environ: MutableMapping[str, str] = os.environ
) -> Path | None:
    """Set ``environ`` up for worker processes: home, key file, the session key file (written
    here; returned so the caller deletes it at exit) and no key."""
    environ["QIS_HOME"] = str(settings.home)
    environ["QIS_KEY_FILE"] = str(settings.key_file_path)
    environ["QIS_API_KEYS"] = ""
    environ.pop("QIS_SESSION_KEY_FILE", None)
    entries = parse_spec(spec)
    if not entries:
        return None
    path = write_session_keys(settings.home, entries)
    environ["QIS_SESSION_KEY_FILE"] = str(path)
    log.info("session keys for the workers: %d hashes in %s", len(entries), path)
    return path


def remove_session_keys(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
