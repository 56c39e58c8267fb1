"""Issue 22, secrets and the audit log: issued keys are kept as salted hashes in a 0600 file; the
running service accepts an issued key and refuses a revoked one without a restart; `serve
--workers` puts no key in its workers' environment; every admin action is in an append-only audit
log that no API route can change."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qis_match import cli
from qis_match.settings import Settings
from qis_match.store.audit import AuditLog
from qis_match.store.keyfile import KeyFile, read_entries
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing
from service.workers import prepare_worker_environment

SPEC = (
    "clerk:王芳:clerk-key-for-tests-0123456789,admin:ops:admin-key-for-tests-0123456789,"
    "analyst:ana:analyst-key-for-tests-012345"
)
PLAIN_KEYS = [item.split(":", 2)[2] for item in SPEC.split(",")]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _issue(home: Path, role: str, name: str, capsys) -> str:
    capsys.readouterr()
    assert cli.main(["keys", "issue", "--role", role, "--name", name, "--home", str(home)]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture()
def home(tmp_path) -> Path:
    return tmp_path / "home"


def test_the_key_file_is_0600_and_holds_only_salted_hashes(home, capsys):
    key = _issue(home, "clerk", "王芳", capsys)
    key2 = _issue(home, "admin", "ops", capsys)
    path = home / "keys.json"
    assert _mode(path) == 0o600
    text = path.read_text("utf-8")
    secret = key.rsplit("_", 1)[1]
    assert key not in text and secret not in text and key2.rsplit("_", 1)[1] not in text
    entries = read_entries(path)
    assert [(e.name, e.role) for e in entries] == [("王芳", "clerk"), ("ops", "admin")]
    assert entries[0].salt != entries[1].salt and entries[0].matches(key.encode())
    assert not entries[0].matches(key2.encode())
    assert [p.name for p in home.iterdir() if p.name.endswith(".tmp")] == []  # replaced whole
    # `keys list` shows names and roles, never a key or a hash
    capsys.readouterr()
    assert cli.main(["keys", "list", "--json", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert key not in out and entries[0].hash not in out and entries[0].salt not in out
    assert [r["name"] for r in json.loads(out)] == ["王芳", "ops"]


def test_concurrent_issuers_lose_no_key(home):
    store = KeyFile(home / "keys.json")
    keys: list[str] = []

    def issue(i: int) -> None:
        keys.append(store.issue(f"clerk-{i}", "clerk")[1])

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = store.entries()
    assert sorted(e.name for e in entries) == sorted(f"clerk-{i}" for i in range(8))
    ring = KeyRing.parse("", [store.path], check_seconds=0)
    assert {ring.identify(k).name for k in keys} == {e.name for e in entries}


@pytest.fixture()
def served(home, tmp_path):
    s = Settings(home=home, rate_limit_per_minute=60, key_check_seconds=0.0)
    app = create_app(s, ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield s, c


def test_an_issued_key_works_and_a_revoked_one_is_refused_without_a_restart(served, capsys):
    s, client = served
    assert client.get("/api/v1/tickets").status_code == 401
    key = _issue(s.home, "clerk", "王芳", capsys)
    r = client.get("/api/v1/tickets", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    # the role is the issued one: a clerk key is not an analyst's
    assert client.get("/api/v1/analytics/summary", headers={"X-API-Key": key}).status_code == 403
    assert client.get("/api/v1/tickets", headers={"X-API-Key": key + "x"}).status_code == 401
    assert cli.main(["keys", "revoke", "王芳", "--home", str(s.home)]) == 0
    assert client.get("/api/v1/tickets", headers={"X-API-Key": key}).status_code == 401
    # a new key under the same name works; the revoked one stays refused
    key2 = _issue(s.home, "clerk", "王芳", capsys)
    assert client.get("/api/v1/tickets", headers={"X-API-Key": key2}).status_code == 200
    assert client.get("/api/v1/tickets", headers={"X-API-Key": key}).status_code == 401


def test_the_key_file_is_read_at_most_every_check_interval(home):
    """The check is cheap per request: within the interval the file is not even looked at."""
    store = KeyFile(home / "keys.json")
    ring = KeyRing.parse("", [store.path], check_seconds=3600)
    assert ring.identify("qk_0000_nothing") is None  # first look: no file yet
    _, key = store.issue("late", "clerk")
    assert ring.identify(key) is None  # not re-read within the hour
    assert KeyRing.parse("", [store.path], check_seconds=0).identify(key).name == "late"


def test_worker_processes_get_no_key_in_their_environment(home):
    s = Settings(home=home, api_keys=SPEC)
    environ = {"QIS_API_KEYS": SPEC, "PATH": "/usr/bin"}
    path = prepare_worker_environment(s, SPEC, environ)
    try:
        blob = "\n".join(f"{k}={v}" for k, v in environ.items())
        assert not any(k in blob for k in PLAIN_KEYS)
        assert environ["QIS_API_KEYS"] == ""  # also overrides keys from the TOML file
        assert _mode(path) == 0o600 and path.parent == home
        assert not any(k in path.read_text("utf-8") for k in PLAIN_KEYS)
        # a worker builds its settings from that environment and still knows every key
        worker = Settings(
            home=environ["QIS_HOME"],
            api_keys=environ["QIS_API_KEYS"],
            key_file=environ["QIS_KEY_FILE"],
            session_key_file=environ["QIS_SESSION_KEY_FILE"],
        )
        ring = KeyRing.from_settings(worker)
        assert [(p.role, p.name) for p in map(ring.identify, PLAIN_KEYS)] == [
            ("clerk", "王芳"),
            ("admin", "ops"),
            ("analyst", "ana"),
        ]
        assert ring.identify("clerk-key-for-tests-0123456788") is None
    finally:
        path.unlink()


def test_serve_with_workers_hands_keys_through_a_file_only(home, monkeypatch):
    """`qis-match serve --workers 2` as run: what the workers would inherit has no key, and the
    session key file is gone when the service stops."""
    import uvicorn

    from qis_match.store.index_store import IndexStore

    for var in ("QIS_HOME", "QIS_KEY_FILE", "QIS_SESSION_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QIS_API_KEYS", SPEC)
    monkeypatch.setattr(IndexStore, "current_version", lambda self: "v1")
    seen: dict = {}

    def fake_run(app, **kw):
        seen["environ"] = dict(os.environ)
        seen["file"] = Path(os.environ["QIS_SESSION_KEY_FILE"])
        seen["file_exists"] = seen["file"].exists()
        seen["workers"] = kw.get("workers")

    monkeypatch.setattr(uvicorn, "run", fake_run)
    assert cli.main(["serve", "--workers", "2", "--home", str(home)]) == 0
    assert seen["workers"] == 2 and seen["file_exists"]
    blob = "\n".join(f"{k}={v}" for k, v in seen["environ"].items())
    assert not any(k in blob for k in PLAIN_KEYS)
    assert not seen["file"].exists()


# --- the audit log


def test_every_admin_action_is_audited(home_with_index, e5_encoder, capsys):
    """Keys issued and revoked (CLI), a catalog update (API, by the admin key's name), an index
    version pinned back (CLI rollback): one entry each, in order, with actor and target."""
    from qis_match.pipeline import Matcher
    from qis_match.store.index_store import IndexStore

    s = home_with_index.model_copy(update={"rate_limit_per_minute": 0, "key_check_seconds": 0.0})
    store = IndexStore(s.index_root)
    first = store.current_version()
    admin = _issue(s.home, "admin", "ops", capsys)
    app = create_app(
        s,
        matcher=Matcher(s, encoder=e5_encoder),
        ticket_store=TicketStore(f"sqlite:///{s.home}/t.db"),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/index/update", data={"remove": "T-LAB-WH"}, headers={"X-API-Key": admin}
        )
        assert r.status_code == 200, r.text
    updated = r.json()["index_version"]
    assert cli.main(["index", "use", first, "--home", str(s.home)]) == 0
    assert cli.main(["keys", "revoke", "ops", "--home", str(s.home)]) == 0

    entries = AuditLog(s.audit_log_path).tail(0)
    assert [(e["action"], e["target"]) for e in entries] == [
        ("key.issue", "ops"),
        ("catalog.update", updated),
        ("index.use", first),
        ("key.revoke", "ops"),
    ]
    assert entries[1]["actor"] == "ops" and "T-LAB-WH" in entries[1]["details"]["removed"]
    assert all(e["actor"].startswith("cli:") for e in entries if e["action"] != "catalog.update")
    assert entries[2]["details"]["previous"] == updated
    assert _mode(s.audit_log_path) == 0o600
    assert admin not in s.audit_log_path.read_text("utf-8")
    capsys.readouterr()
    assert cli.main(["audit", "-n", "2", "--json", "--home", str(s.home)]) == 0
    tail = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["action"] for e in tail] == ["index.use", "key.revoke"]


def test_the_audit_log_only_grows(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("cli:root", "key.issue", "a")
    before = log.path.read_bytes()
    log.record("ops", "catalog.update", "v2", removed=["X"])
    after = log.path.read_bytes()
    assert after.startswith(before) and len(after.splitlines()) == 2
    with open(log.path, "ab") as fh:  # a crash mid-line: the torn line is skipped, not fatal
        fh.write(b'{"at": "2026')
    assert [e["target"] for e in log.tail(10)] == ["a", "v2"]


def test_no_api_route_can_change_the_audit_log(served, capsys):
    s, client = served
    admin = _issue(s.home, "admin", "ops", capsys)
    before = s.audit_log_path.read_bytes()
    routes = [r for r in client.app.routes if hasattr(r, "methods")]
    assert routes and not [r.path for r in routes if "audit" in r.path.lower()]
    headers = {"X-API-Key": admin}
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/audit", "/audit", "/api/v1/admin/audit"):
            assert client.request(method, path, headers=headers).status_code in (404, 405)
    assert s.audit_log_path.read_bytes() == before
