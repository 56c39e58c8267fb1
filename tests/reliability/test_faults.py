"""Faults: a database that goes away (mid-service, or before the service starts) gives clear 503s
and the service recovers by itself when it returns; a disk that fills up during a build fails the
build cleanly, leaves nothing half-written and the previous index serving.

(A build *killed* mid-way is issue #6's tests/test_index_safety.py::test_killed_build_*.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from qis_match.build import build_index
from qis_match.pipeline import Matcher
from qis_match.store.index_store import IndexStore
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing

from .reliability_support import KEY_SPEC, auth

CLERK = auth("clerk")
DOWN = "database unavailable"


def _ticket(c, text="压力表到期要送检", region="湖北省武汉市"):
    m = c.post("/api/v1/match", json={"text": text, "region": region}).json()
    choices = [
        {"category": b["category"], "institution_id": b["referrals"][0]["resource_id"]}
        for b in m["bundle"]
        if b["referrals"]
    ]
    return c.post(
        "/api/v1/tickets",
        json={"text": text, "region": region, "choices": choices},
        headers=CLERK,
    )


def _assert_down(c) -> None:
    for r in (
        c.get("/api/v1/tickets", headers=CLERK),
        _ticket(c),
        c.get("/api/v1/tickets/1", headers=CLERK),
    ):
        assert r.status_code == 503 and DOWN in r.json()["detail"], (r.status_code, r.text)
    h = c.get("/health")
    assert h.status_code == 503 and h.json()["database"] == "unavailable"
    # Matching does not need the database: the window keeps answering.
    assert c.post("/api/v1/match", json={"text": "压力表送检"}).status_code == 200


# --- database outages


def test_database_failing_mid_service_gives_503_and_recovers(built_settings, matcher, tmp_path):
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0})
    app = create_app(
        s,
        matcher=matcher,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEY_SPEC),
    )
    down = threading.Event()

    def fail(*_a, **_k):
        if down.is_set():
            raise sa.exc.OperationalError("SELECT", {}, Exception("disk I/O error"))

    with TestClient(app, raise_server_exceptions=False) as c:
        before = _ticket(c)
        assert before.status_code == 201
        sa.event.listen(app.state.qis.store.engine, "before_cursor_execute", fail)
        down.set()
        _assert_down(c)
        down.clear()
        r = c.get(f"/api/v1/tickets/{before.json()['id']}", headers=CLERK)
        assert r.status_code == 200 and r.json()["request_text"] == before.json()["request_text"]
        assert _ticket(c).status_code == 201 and c.get("/health").status_code == 200


def test_database_missing_at_start_gives_503_until_it_appears(built_settings, matcher, tmp_path):
    """The volume holding the database is not there when the service starts (here: its
    directory is a file); the service answers 503 and picks the database up once it appears."""
    blocker = tmp_path / "dbdir"
    blocker.write_text("not a directory")
    s = built_settings.model_copy(
        update={"rate_limit_per_minute": 0, "database_url": f"sqlite:///{blocker}/t.db"}
    )
    app = create_app(s, matcher=matcher, keys=KeyRing.parse(KEY_SPEC))
    with TestClient(app, raise_server_exceptions=False) as c:
        app.state.qis.store_retry_seconds = 0
        _assert_down(c)
        blocker.unlink()
        blocker.mkdir()
        assert c.get("/health").status_code == 200
        assert _ticket(c).status_code == 201


class TcpProxy:
    """A loopback TCP proxy in front of a database server that can be cut (every connection
    closed, new ones refused at once) and restored: a database that goes away and comes back."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.conns: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up.clear()
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.conns.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.running = False
        self.cut()
        self.sock.close()


@pytest.fixture()
def postgres_via_proxy(postgres_url):
    """(URL through a cuttable proxy, the proxy), in a schema of its own, dropped afterwards."""
    url = postgres_url
    u = sa.engine.make_url(url)
    schema = "rel_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(url)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    proxy = TcpProxy(u.host or "127.0.0.1", u.port or 5432)
    proxied = u.set(host="127.0.0.1", port=proxy.port, query={"options": f"-csearch_path={schema}"})
    try:
        yield proxied.render_as_string(hide_password=False), proxy
    finally:
        proxy.close()
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.mark.postgres
def test_postgres_outage_gives_503_and_recovers(postgres_via_proxy, built_settings, matcher):
    url, proxy = postgres_via_proxy
    proxy.cut()  # down before the service starts
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0, "database_url": url})
    app = create_app(s, matcher=matcher, keys=KeyRing.parse(KEY_SPEC))
    with TestClient(app, raise_server_exceptions=False) as c:
        app.state.qis.store_retry_seconds = 0
        _assert_down(c)
        proxy.restore()  # it comes back: migrations run, tickets work
        first = _ticket(c)
        assert first.status_code == 201, first.text
        proxy.cut()  # and goes away mid-service
        _assert_down(c)
        proxy.restore()
        r = c.get(f"/api/v1/tickets/{first.json()['id']}", headers=CLERK)
        assert r.status_code == 200 and r.json()["id"] == first.json()["id"]
        assert _ticket(c).status_code == 201 and c.get("/health").status_code == 200


# --- a full disk during a build


def _snapshot(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_disk_full_during_build_simulated(home_with_index, e5_encoder, monkeypatch):
    """The second parquet file of a build hits ENOSPC after writing part of itself."""
    s = home_with_index
    root = s.index_root
    before = _snapshot(root)
    current = IndexStore(root).current_version()
    real = pd.DataFrame.to_parquet
    calls = []

    def full(self, path, *a, **k):
        calls.append(path)
        if len(calls) == 2:
            Path(path).write_bytes(b"PAR1" + b"\0" * 4096)  # what got out before the disk filled
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(OSError) as err:
        build_index(s, encoder=e5_encoder, progress=False)
    assert err.value.errno == errno.ENOSPC and len(calls) == 2
    monkeypatch.undo()
    assert IndexStore(root).current_version() == current
    assert _snapshot(root) == before, "the failed build left files behind"
    res = Matcher(s, encoder=e5_encoder).match("压力表到期要送检", region="湖北省武汉市")
    assert res.index_version == current and res.referrals


_IN_NAMESPACE = textwrap.dedent(
    """
    import json, os, subprocess, sys
    from pathlib import Path
    home, size = Path(sys.argv[1]), sys.argv[2]
    index = home / "index"
    stage = home / "staged"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(index)], check=True)
    subprocess.run(["cp", "-a", f"{stage}/.", str(index)], check=True)
    before = sorted(p.name for p in index.iterdir())
    cli = subprocess.run(
        [sys.executable, "-m", "qis_match.cli", "build", "--home", str(home)],
        capture_output=True, text=True,
    )
    from qis_match.pipeline import Matcher
    from qis_match.settings import Settings
    s = Settings(home=home)
    res = Matcher(s).match("压力表到期要送检", region="湖北省武汉市")
    print(json.dumps({
        "before": before, "after": sorted(p.name for p in index.iterdir()),
        "current": (index / "CURRENT").read_text().strip(),
        "exit": cli.returncode, "stderr": cli.stderr[-2000:],
        "served": res.index_version, "referrals": len(res.referrals),
    }))
    """
)


def _unshare() -> list[str] | None:
    if not shutil.which("unshare"):
        return None
    cmd = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
    probe = subprocess.run(
        [*cmd, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || exit 3"],
        capture_output=True,
    )
    return cmd if probe.returncode == 0 else None


def test_disk_full_during_build_on_a_real_tiny_filesystem(home_with_index, tmp_path):
    """The index directory is a tmpfs (in a private mount namespace) with room for the current
    version and a little more: `qis-match build` runs out of space for real."""
    cmd = _unshare()
    if cmd is None:
        pytest.skip("cannot mount a tmpfs here (no unshare or no user namespaces)")
    s = home_with_index
    home = s.home
    staged = home / "staged"
    shutil.copytree(s.index_root, staged, symlinks=True)
    used = sum(p.stat().st_size for p in staged.rglob("*") if p.is_file())
    size = (used * 3 // 2 // 4096 + 4) * 4096  # the current version + half of another
    script = tmp_path / "in_namespace.py"
    script.write_text(_IN_NAMESPACE)
    env = {
        **os.environ,
        "QIS_CATALOG_DIR": str(s.catalog_dir),
        "QIS_NEEDS_MODEL": "retrieval",
        "QIS_EMBEDDING_CACHE": str(s.cache_path),
    }
    out = subprocess.run(
        [*cmd, sys.executable, str(script), str(home), str(size)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({k: r[k] for k in ("exit", "current", "before", "after")}))
    print(r["stderr"].strip().splitlines()[-1])
    assert r["exit"] != 0 and "No space left on device" in r["stderr"], r
    # one clear line, no traceback (progress lines, if any, come before it)
    assert "Traceback" not in r["stderr"], r["stderr"]
    last = r["stderr"].strip().splitlines()[-1]
    assert last.startswith("qis-match: error: ") and "No space left on device" in last, last
    assert last.endswith("the current index version still serves"), last
    assert r["current"] in r["before"] and r["served"] == r["current"] and r["referrals"] > 0
    leftovers = set(r["after"]) - set(r["before"])
    assert not leftovers, f"a failed build left {leftovers} in the index directory"
