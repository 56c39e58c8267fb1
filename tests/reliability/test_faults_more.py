"""More faults (issue 22): a ticket writer killed with SIGKILL mid-write (SQLite in WAL mode),
PostgreSQL going away and coming back under concurrent load, and a read-only index folder.

(The database outages without load and the full disk are in test_faults.py.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from qis_match import cli
from qis_match.store.tickets import STATUSES, TicketStore
from service.app import create_app
from service.security import KeyRing

from . import test_faults
from .reliability_support import KEY_SPEC, auth
from .test_faults import DOWN, _ticket

CLERK = auth("clerk")
postgres_via_proxy = test_faults.postgres_via_proxy  # the fixture, shared
REPO = Path(__file__).resolve().parents[2]

# --- kill -9 during ticket writes

_WRITER = textwrap.dedent(
    """
    import json, random, sys
    from qis_match.store.tickets import STATUSES, Choice, TicketStore
    store = TicketStore(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]))
    def ack(t, what):
        print(json.dumps({"id": t.id, "version": t.version, "feedback": len(t.feedback),
                          "what": what}), flush=True)
    mine = []
    while True:
        t = store.create(
            request_text="压力表到期要送检，顺便问下CCC认证", needs=[{"category": "metrology"}],
            entities={"province": "湖北省", "enterprise": "武汉某某阀门有限公司"},
            choices=[Choice(category="metrology", institution_id="T-MET-WH",
                            institution_name="武汉市测试计量所（测试）", rank=1,
                            snapshot={"phone": "027-00001111"}),
                     Choice(category="certification", institution_id="T-CER-WH",
                            institution_name="测试认证中心", rank=1)],
            actor="writer", role="clerk")
        ack(t, "create")
        mine.append(t.id)
        for _ in range(rnd.randint(0, 3)):  # move some ticket, new or old, one step on
            t = store.get(rnd.choice(mine))
            if t.status != STATUSES[-1]:
                t = store.change_status(t.id, STATUSES[STATUSES.index(t.status) + 1],
                                        actor="writer", role="clerk",
                                        expected_version=t.version, note="已电话联系")
                ack(t, "status")
        if rnd.random() < 0.5:
            ack(store.add_feedback(rnd.choice(mine), actor="writer", rating=4,
                                   comment="很快"), "feedback")
    """
)


def _check_database(path: Path, acked: dict[int, dict]) -> dict[str, int]:
    """Integrity of the SQLite file as the killed writer left it, read with sqlite3 itself."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        tickets = {
            tid: (status, version)
            for tid, status, version in db.execute("SELECT id, status, version FROM tickets")
        }
        events: dict[int, list[tuple]] = {}
        for tid, frm, to in db.execute(
            "SELECT ticket_id, from_status, to_status FROM ticket_events ORDER BY id"
        ):
            events.setdefault(tid, []).append((frm, to))
        referrals = dict(
            db.execute("SELECT ticket_id, count(*) FROM ticket_referrals GROUP BY ticket_id")
        )
        feedback = dict(db.execute("SELECT ticket_id, count(*) FROM feedback GROUP BY ticket_id"))
    finally:
        db.close()
    assert set(events) <= set(tickets), "events of a ticket that is not there"
    assert set(referrals) <= set(tickets) and set(feedback) <= set(tickets)
    for tid, (status, version) in tickets.items():
        history = events.get(tid, [])
        assert history, f"ticket {tid} has no creation event"
        assert history[0] == (None, STATUSES[0]), (tid, history)
        steps = [to for _, to in history]
        assert steps == list(STATUSES[: len(steps)]), (tid, history)
        assert all(frm == prev for (frm, _), prev in zip(history[1:], steps, strict=False))
        assert len(history) == version and steps[-1] == status, (tid, status, version, history)
        assert referrals.get(tid) == 2, f"ticket {tid} has {referrals.get(tid)} of its 2 referrals"
    for tid, a in acked.items():  # nothing the writer was told is stored may be missing
        assert tid in tickets, f"acknowledged ticket {tid} lost"
        assert tickets[tid][1] >= a["version"], (tid, tickets[tid], a)
        assert feedback.get(tid, 0) >= a["feedback"], (tid, a)
    return {"tickets": len(tickets), "events": sum(map(len, events.values()))}


def test_kill_9_during_ticket_writes_leaves_no_half_written_ticket(tmp_path):
    """A writer process (the project's TicketStore) creating tickets, moving them on and adding
    feedback in a tight loop is SIGKILLed at random moments, five times over the same database;
    after each kill the file is intact, every ticket whole, every acknowledged write there."""
    path = tmp_path / "tickets.db"
    url = f"sqlite:///{path}"
    store = TicketStore(url)  # migrations; and the store's own connections are in WAL mode
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    rnd = random.Random(22)
    acked: dict[int, dict] = {}
    seen = []
    for round_ in range(5):
        proc = subprocess.Popen(
            [sys.executable, str(script), url, str(round_)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        try:
            wanted = rnd.randint(5, 40)  # acknowledged writes before the kill, then a random delay
            for _ in range(wanted):
                line = proc.stdout.readline()
                assert line, proc.stderr.read()[-3000:]
                a = json.loads(line)
                prev = acked.get(a["id"], {"version": 0, "feedback": 0})
                acked[a["id"]] = {
                    "version": max(prev["version"], a["version"]),
                    "feedback": max(prev["feedback"], a["feedback"]),
                }
            time.sleep(rnd.uniform(0, 0.03))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        for line in proc.stdout.read().splitlines():  # acknowledged before the kill landed
            a = json.loads(line)
            prev = acked.get(a["id"], {"version": 0, "feedback": 0})
            acked[a["id"]] = {
                "version": max(prev["version"], a["version"]),
                "feedback": max(prev["feedback"], a["feedback"]),
            }
        seen.append(_check_database(path, acked))
    print(json.dumps({"rounds": seen, "acknowledged_tickets": len(acked)}))
    # and the store itself reopens the file and carries on
    store = TicketStore(url)
    t = store.get(max(acked))
    assert t.events and store.create(
        request_text="压力表送检", needs=[], entities={}, choices=[], actor="a", role="clerk"
    )
    store.close()


# --- the index folder read-only

_READ_ONLY = textwrap.dedent(
    """
    import json, os, subprocess, sys
    from pathlib import Path
    home, how = Path(sys.argv[1]), sys.argv[2]
    index = home / "index"
    if how == "bind":  # a read-only bind mount of the index folder (this mount namespace only)
        subprocess.run(["mount", "--bind", str(index), str(index)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(index)], check=True)
    else:  # not root: the permission bits are enough
        for d in [index, *(p for p in index.rglob("*") if p.is_dir())]:
            d.chmod(0o555)
    try:
        (index / "probe").write_text("x")
        writable = True
    except OSError:
        writable = False
    before = sorted(p.name for p in index.iterdir())
    current = (index / "CURRENT").read_text().strip()
    from fastapi.testclient import TestClient
    from qis_match.settings import Settings
    from service.app import create_app
    s = Settings(home=home, database_url=sys.argv[3])
    served = []
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        for text in ("压力表到期要送检", "电热水壶要做CCC认证"):
            r = c.post("/api/v1/match", json={"text": text, "region": "湖北省武汉市"})
            served.append([r.status_code, r.json().get("index_version")])
        health = c.get("/health").status_code
    runs = {}
    for name, args in {"build": ["build"], "update": ["update", "--remove", "T-MET-CS"]}.items():
        p = subprocess.run([sys.executable, "-m", "qis_match.cli", *args, "--home", str(home)],
                           capture_output=True, text=True)
        runs[name] = {"exit": p.returncode, "stderr": p.stderr}
    after = sorted(p.name for p in index.iterdir())
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/match", json={"text": "压力表到期要送检", "region": "湖北省武汉市"})
        served.append([r.status_code, r.json().get("index_version")])
    if how != "bind":
        for d in [index, *(p for p in index.rglob("*") if p.is_dir())]:
            d.chmod(0o755)
    print(json.dumps({"writable": writable, "before": before, "after": after, "current": current,
                      "now": (index / "CURRENT").read_text().strip(), "served": served,
                      "health": health, "runs": runs}))
    """
)


def _read_only_way() -> tuple[list[str], str]:
    """How to make a folder read-only here: as root (where permission bits do not stop writes) a
    read-only bind mount in a private mount namespace, otherwise ``chmod``."""
    if os.geteuid() != 0:
        return [], "chmod"
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,ro,bind /tmp"],
        capture_output=True,
    )
    assert probe.returncode == 0, f"cannot make a read-only bind mount: {probe.stderr!r}"
    return ["unshare", "-m"], "bind"


def test_read_only_index_folder_serves_and_refuses_builds(home_with_index, tmp_path):
    """The index folder is read-only for real: the service starts and answers matches from it,
    and `qis-match build` and `update` into it each fail with one clear line, no traceback,
    nothing written, the current version still serving."""
    prefix, how = _read_only_way()
    s = home_with_index
    script = tmp_path / "read_only.py"
    script.write_text(_READ_ONLY)
    env = {
        **os.environ,
        "QIS_CATALOG_DIR": str(s.catalog_dir),
        "QIS_NEEDS_MODEL": "retrieval",
        "QIS_EMBEDDING_CACHE": str(s.cache_path),
        "QIS_RATE_LIMIT_PER_MINUTE": "0",
    }
    out = subprocess.run(
        [*prefix, sys.executable, str(script), str(s.home), how, f"sqlite:///{tmp_path}/t.db"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({k: r[k] for k in ("served", "health", "runs")}, ensure_ascii=False))
    assert r["writable"] is False, "the index folder was not read-only: the test proves nothing"
    assert r["served"] == [[200, r["current"]]] * 3 and r["health"] == 200
    for name, run in r["runs"].items():
        lines = run["stderr"].strip().splitlines()
        assert run["exit"] != 0, (name, run)
        assert "Traceback" not in run["stderr"] and len(lines) == 1, (name, run["stderr"][-2000:])
        assert lines[0].startswith("qis-match: error: ") and "read-only" in lines[0], lines
        assert "still serves" in lines[0], lines
    assert r["after"] == r["before"] and r["now"] == r["current"]


# --- the CLI's errors from the operating system: one line


@pytest.mark.parametrize("command", ["build", "update"])
def test_a_full_disk_is_one_clear_line(command, tmp_path, monkeypatch, capsys):
    """ENOSPC out of a build or an update: `qis-match` prints one line naming the cause and that
    the current index still serves, exit 1, no traceback (the real full disk is in
    test_faults.py::test_disk_full_during_build_on_a_real_tiny_filesystem)."""
    import errno

    import qis_match.build
    import qis_match.update

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "index" / "x"))

    monkeypatch.setattr(qis_match.build, "build_index", full)
    monkeypatch.setattr(qis_match.update, "update_index", full)
    args = ["build", "--quiet"] if command == "build" else ["update", "--remove", "X"]
    assert cli.main([*args, "--home", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("qis-match: error: No space left on device"), err
    assert "still serves" in err[0]


# --- PostgreSQL stopped and restarted under load


def _serve(app):
    """The app behind the real uvicorn on a free loopback port, in a thread: (base URL, stop)."""
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)

    def stop():
        server.should_exit = True
        thread.join(15)

    return f"http://127.0.0.1:{port}", stop


@pytest.mark.postgres
def test_postgres_outage_under_concurrent_load(postgres_via_proxy, built_settings, matcher):
    """Three clients matching and three clerks creating and moving tickets, all at once, against
    the real uvicorn, while PostgreSQL goes away (every connection cut, new ones refused) and
    comes back: ticket requests get 503 "database unavailable" (never a 500, never a hung or
    dropped connection), matching keeps answering, the service recovers by itself, and every
    ticket write that was acknowledged is in the database."""
    import httpx

    url, proxy = postgres_via_proxy
    s = built_settings.model_copy(
        update={"rate_limit_per_minute": 0, "daily_quota": 0, "database_url": url}
    )
    app = create_app(s, matcher=matcher, keys=KeyRing.parse(KEY_SPEC))
    base, stop = _serve(app)
    phase = ["up"]
    running = threading.Event()
    running.set()
    seen: list[tuple[str, str, int, str]] = []  # (phase, what, status, detail)
    acked: dict[int, int] = {}  # ticket id -> highest version acknowledged
    lock = threading.Lock()

    def note(what: str, r) -> None:
        try:
            detail = r.json().get("detail", "") if r.status_code >= 400 else ""
        except ValueError:  # not JSON (a bare 500): recorded, and the checks below say so
            detail = r.text[:200]
        with lock:
            seen.append((phase[0], what, r.status_code, str(detail)))

    def matcher_client(i: int) -> None:
        texts = ["压力表到期要送检", "电热水壶要做CCC认证", "想注册商标再做个团体标准"]
        with httpx.Client(base_url=base, timeout=60) as c:
            n = 0
            while running.is_set():
                r = c.post("/api/v1/match", json={"text": texts[(i + n) % 3]})
                note("match", r)
                n += 1

    def clerk(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while running.is_set():
                r = _ticket(c, text=f"压力表到期要送检，第{i}号窗口")
                note("create", r)
                if r.status_code != 201:
                    time.sleep(0.05)
                    continue
                t = r.json()
                with lock:
                    acked[t["id"]] = t["version"]
                r = c.post(
                    f"/api/v1/tickets/{t['id']}/status",
                    json={"status": STATUSES[1], "version": t["version"]},
                    headers=CLERK,
                )
                note("status", r)
                if r.status_code == 200:
                    with lock:
                        acked[t["id"]] = max(acked[t["id"]], r.json()["version"])

    threads = [threading.Thread(target=matcher_client, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=clerk, args=(i,)) for i in range(3)]
    errors: list[BaseException] = []

    def guarded(t: threading.Thread) -> threading.Thread:
        target = t._target  # type: ignore[attr-defined]

        def run(*a):
            try:
                target(*a)
            except BaseException as exc:  # a dropped connection, a timeout: the test fails
                errors.append(exc)

        t._target = run  # type: ignore[attr-defined]
        return t

    try:
        for t in map(guarded, threads):
            t.start()

        def count(ph: str, what: tuple[str, ...], status: tuple[int, ...]) -> int:
            with lock:
                return sum(1 for p, w, st, _ in seen if p == ph and w in what and st in status)

        def wait_for(cond, seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while not cond() and time.monotonic() < deadline and not errors:
                time.sleep(0.05)

        # up: every client has had answers; then down for at least 2 s and 6 failed writes;
        # then back until the clerks have written 6 more times (at most 60 s each)
        wait_for(lambda: count("up", ("create",), (201,)) >= 6, 120)
        wait_for(lambda: count("up", ("match",), (200,)) >= 6, 60)
        phase[0] = "down"
        proxy.cut()
        time.sleep(2.0)
        wait_for(lambda: count("down", ("create", "status"), (503,)) >= 6, 60)
        phase[0] = "back"
        proxy.restore()
        wait_for(lambda: count("back", ("create", "status"), (200, 201)) >= 12, 60)
        running.clear()
        for t in threads:
            t.join(60)
    finally:
        running.clear()
        stop()
    assert not errors, errors
    by = {}
    for ph, what, status, _ in seen:
        by.setdefault((ph, what), []).append(status)
    print(json.dumps({f"{p}/{w}": sorted(set(v)) for (p, w), v in by.items()}))
    assert all(status < 500 or status == 503 for *_, status, _ in seen), "a 5xx other than 503"
    assert all(DOWN in d for _, _, status, d in seen if status == 503), "an unclear 503"
    assert all(status == 200 for _, what, status, _ in seen if what == "match"), "matching failed"
    assert 503 in by.get(("down", "create"), []) + by.get(("down", "status"), []), (
        "the outage was not seen: the test proves nothing"
    )
    assert {201} <= set(by[("up", "create")])
    # recovered without a restart: the last writes of every clerk after the return succeeded
    back = [x for x in seen if x[0] == "back" and x[1] in ("create", "status")]
    assert back and all(status in (200, 201) for _, _, status, _ in back[-6:]), back[-6:]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            stored = dict(c.execute(sa.text("SELECT id, version FROM tickets")).all())
            events = dict(
                c.execute(
                    sa.text("SELECT ticket_id, count(*) FROM ticket_events GROUP BY ticket_id")
                ).all()
            )
    finally:
        engine.dispose()
    lost = {tid: v for tid, v in acked.items() if stored.get(tid, 0) < v}
    assert not lost, f"acknowledged ticket writes lost: {lost}"
    assert all(events.get(tid) == v for tid, v in stored.items()), "a half-written ticket"
    assert len(acked) >= 3
