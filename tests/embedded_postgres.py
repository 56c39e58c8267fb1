"""A PostgreSQL server for the storage tests, without installing one.

When ``QIS_TEST_POSTGRES_URL`` names a server, the tests use it. Otherwise the first test that
needs PostgreSQL starts a throw-away server from the binaries that the ``pgserver`` wheel ships
(PostgreSQL in a PyPI package, pinned in the lock): ``initdb`` into a temporary folder, then a
postmaster on a free loopback TCP port, so that tests which put a proxy in front of the server
can reach it by host and port. It is stopped and deleted when the test session ends.

PostgreSQL refuses to run as root; as root (CI runs as root) the server runs as an unprivileged
system user, created once, as pgserver itself does.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

USER, PASSWORD, DATABASE = "qis", "qis-test-only", "qis_test"
_SYSTEM_USER = "pgserver"
_lock = threading.Lock()
_url: str | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    """A binary of the pgserver wheel (found without importing pgserver, whose import has side
    effects: a runtime folder and a warning)."""
    import importlib.util

    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pgserver is not installed: run `make setup` (it installs the lock)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name)


def _run_as(user: str | None, args: list[str], **kw) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True, user=user, timeout=60, **kw)


def _start() -> str:
    user = None
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "-s", "/bin/false", _SYSTEM_USER], check=True)
        user = _SYSTEM_USER
    root = Path(tempfile.mkdtemp(prefix="qis-test-pg-"))
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text(PASSWORD)
    if user:
        shutil.chown(root, user)
        shutil.chown(pwfile, user)
    _run_as(
        user,
        [
            _bin("initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale",
            "C",
        ],
    )
    port = _free_port()
    _run_as(
        user,
        [
            _bin("pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-t",
            "30",
            "-l",
            str(root / "log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off",
            "start",
        ],
    )

    def stop() -> None:
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            user=user,
            timeout=30,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    _run_as(
        None, [_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE], env=env
    )
    return f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"


def postgres_url() -> str:
    """The server the tests use: ``QIS_TEST_POSTGRES_URL``, or an embedded one started once."""
    global _url
    given = os.environ.get("QIS_TEST_POSTGRES_URL")
    if given:
        return given
    with _lock:
        if _url is None:
            _url = _start()
        return _url
