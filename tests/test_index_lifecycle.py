"""Issue 24: never switch to a version that does not load, and never go down for one.

Each index file of the version CURRENT names is damaged in turn (manifest, FAISS, BM25, need
classifier, CURRENT itself): a fresh start serves the previous good version, /health says
degraded (which version, why), /metrics has qis_index_degraded, and the failure is logged once,
without a traceback, however often the reloader tries again. A new version that fails its
verification is kept aside and never published; `qis-match index verify` / `index use` let an
operator see and pin versions.

The homes are hard links to the session's fixture index (tests/conftest.py), so nothing is
rebuilt: a damaged file is a new file put in place, never a write through a shared link.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qis_match.cli import main
from qis_match.store.index_store import REPORT, IndexStore, IndexVerifyError
from service.app import create_app
from service.security import KeyRing

KEYS = KeyRing.parse("admin:root:admin-key-for-tests-0123456789")


def _replace(path: Path, data: bytes) -> None:
    """Put new bytes at ``path`` as a new file (the hard-linked original stays intact)."""
    tmp = path.with_name(path.name + ".damage")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    _replace(path, data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    _replace(path, bytes(data))


def _link_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=os.link)


def _versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("v*") if p.is_dir())


def _wait_for_reloads() -> None:
    for t in threading.enumerate():
        if t.name == "index-reload":
            t.join(30)


@pytest.fixture(scope="module")
def two_versions(built_settings, tmp_path_factory) -> Path:
    """An index root with two good published versions (v1 older, v2 = CURRENT), both with the
    need classifier, made from the session index by hard links and one commit."""
    root = tmp_path_factory.mktemp("lifecycle") / "index"
    src = IndexStore(built_settings.index_root)
    v1 = src.current_path()
    root.mkdir()
    _link_tree(v1, root / v1.name)
    (root / "CURRENT").write_text(v1.name + "\n")
    store = IndexStore(root)
    build = store.new_build_dir()
    for f in (root / v1.name).iterdir():
        if f.name != "manifest.json":
            os.link(f, build / f.name)
    manifest = json.loads((root / v1.name / "manifest.json").read_text())
    manifest = {k: v for k, v in manifest.items() if k not in ("index_version", "format")}
    store.commit(build, {**manifest, "retrained_from": v1.name})
    assert len(_versions(root)) == 2
    return root


@pytest.fixture()
def home(two_versions, built_settings, tmp_path):
    """A fresh home of its own over the two versions, and its settings."""
    h = tmp_path / "home"
    h.mkdir()
    _link_tree(two_versions, h / "index")
    s = built_settings.model_copy(
        update={
            "home": h,
            "rate_limit_per_minute": 0,
            "index_check_seconds": 0.0,
            "database_url": f"sqlite:///{tmp_path}/t.db",
        }
    )
    v2 = (s.index_root / "CURRENT").read_text().strip()
    (v1,) = set(_versions(s.index_root)) - {v2}
    return s, v1, v2


DAMAGE = {
    "manifest": lambda d: _truncate(d / "manifest.json"),
    "faiss": lambda d: _truncate(d / "dense.faiss"),
    "bm25": lambda d: _flip(d / "bm25_tf.npz"),
    "classifier": lambda d: _truncate(d / "needs_classifier.joblib"),
}
WHY = {
    "manifest": "manifest.json",
    "faiss": "dense.faiss",
    "bm25": "bm25_tf.npz",
    "classifier": "needs_classifier.joblib",
}


@pytest.mark.parametrize("part", [*DAMAGE, "CURRENT"])
def test_fresh_start_serves_the_previous_good_version(home, part, caplog):
    s, v1, v2 = home
    root = s.index_root
    if part == "CURRENT":
        _replace(root / "CURRENT", b"\x00\xff\xfe garbage")
        # Nothing says which version was meant: the newest good one serves.
        serving, wanted, why = v2, None, "CURRENT is damaged"
    else:
        DAMAGE[part](root / v2)
        serving, wanted, why = v1, v2, WHY[part]
    caplog.set_level(logging.DEBUG, logger="qis_match")
    app = create_app(s, keys=KEYS)
    with TestClient(app, raise_server_exceptions=False) as c:
        h = c.get("/health")
        assert h.status_code == 200, h.text  # an older good version answers everything
        body = h.json()
        assert body["status"] == "degraded" and body["index_degraded"] is True
        assert body["index_version"] == serving and body["index_wanted"] == wanted
        problems = {p["version"]: p["reason"] for p in body["index_problems"]}
        assert why in problems[wanted or "CURRENT"], problems
        assert "qis_index_degraded 1.0" in c.get("/metrics").text
        r = c.post("/api/v1/match", json={"text": "压力表到期要送检", "region": "湖北省武汉市"})
        assert r.status_code == 200 and r.json()["index_version"] == serving
        # The reloader tries again (backoff elapsed) and again: one report, no traceback.
        reloader = app.state.qis.reloader
        for _ in range(3):
            reloader._retry_at = 0.0
            reloader.reload_now()
        assert reloader._delay > s.index_check_seconds  # it backs off
        assert c.get("/health").json()["index_version"] == serving
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert why in errors[0].getMessage()
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


def test_a_broken_new_version_keeps_the_old_one_serving_until_fixed(home, caplog):
    """A running service: CURRENT moves to a damaged version; the old one keeps serving, the
    background reloader reports once and backs off; `index use` on a good one clears it."""
    s, v1, v2 = home
    store = IndexStore(s.index_root)
    app = create_app(s, keys=KEYS)
    caplog.set_level(logging.DEBUG, logger="qis_match")
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/health").json()["index_degraded"] is False
        st = app.state.qis
        assert st.matcher.index.version == v2
        bad = s.index_root / "v29991231T235959-000000"
        _link_tree(s.index_root / v2, bad)
        _truncate(bad / "dense.faiss")
        store._switch(bad.name)  # as a publisher would (without verifying)
        for _ in range(5):  # requests keep coming; each may start a background check
            assert c.get("/api/v1/index").json()["index_version"] == v2
            _wait_for_reloads()
        h = c.get("/health").json()
        assert h["status"] == "degraded" and h["index_version"] == v2
        assert h["index_wanted"] == bad.name and "dense.faiss" in h["index_problems"][0]["reason"]
        assert main(["index", "use", v1, "--home", str(s.home)]) == 0
        st.reloader._next_check = 0.0
        st.reloader.maybe_reload()
        _wait_for_reloads()
        h = c.get("/health").json()
        assert h["status"] == "ok" and h["index_version"] == v1 and not h["index_problems"]
        assert "qis_index_degraded 0.0" in c.get("/metrics").text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and bad.name in errors[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_a_version_that_fails_verification_is_kept_aside_never_published(home):
    s, v1, v2 = home
    store = IndexStore(s.index_root)
    build = store.new_build_dir()
    for f in (s.index_root / v2).iterdir():
        if f.name != "manifest.json":
            os.link(f, build / f.name)
    _replace(build / "dense.faiss", b"not a faiss index")  # checksummed as it is: loading fails
    manifest = json.loads((s.index_root / v2 / "manifest.json").read_text())
    with pytest.raises(IndexVerifyError) as err:
        store.commit(build, {k: v for k, v in manifest.items() if k != "index_version"})
    assert "dense.faiss" in str(err.value)
    assert store.current_version() == v2 and store.versions() == [v1, v2]
    (aside,) = s.index_root.glob(".rejected-*")
    report = json.loads((aside / REPORT).read_text())
    assert report["ok"] is False and "dense.faiss" in report["problems"][0]
    assert not build.exists()


def test_verification_catches_what_still_loads(home):
    """A changed byte in a file that still parses (the manifest's catalog version) or a file
    changed after publishing is caught by the checksums, not only by loading."""
    s, v1, v2 = home
    store = IndexStore(s.index_root)
    assert store.verify(s.index_root / v2).ok
    m = json.loads((s.index_root / v2 / "manifest.json").read_text())
    m["catalog_version"] = "forged"
    _replace(s.index_root / v2 / "manifest.json", json.dumps(m).encode())
    r = store.verify(s.index_root / v2)
    assert not r.ok and "manifest.json checksum mismatch" in r.reason
    r = store.verify(s.index_root / v1)
    assert r.ok and r.files_checked >= 9 and r.index is not None
    # A version from before checksums: a damaged file is still caught, by loading it.
    m = json.loads((s.index_root / v1 / "manifest.json").read_text())
    legacy = {k: v for k, v in m.items() if k not in ("files", "manifest_sha256")}
    _replace(s.index_root / v1 / "manifest.json", json.dumps(legacy).encode())
    _truncate(s.index_root / v1 / "dense.faiss")
    r = store.verify(s.index_root / v1)
    assert not r.ok and "dense.faiss does not load" in r.reason and r.notes


def test_cli_index_verify_and_use(home, capsys):
    s, v1, v2 = home
    h = ["--home", str(s.home)]
    assert main(["index", "verify", *h]) == 0
    out = capsys.readouterr().out
    assert f"{v2} (CURRENT): ok" in out and f"{v1}: ok" in out
    _truncate(s.index_root / v1 / "bm25_vocab.json")
    assert main(["index", "verify", *h]) == 0  # CURRENT's version is good
    assert "BAD" in capsys.readouterr().out
    assert main(["index", "verify", v1, "--json", *h]) == 1
    (r,) = json.loads(capsys.readouterr().out)["versions"]
    assert r["version"] == v1 and not r["ok"] and "bm25_vocab.json" in r["problems"][0]
    assert main(["index", "use", v1, *h]) == 1  # a bad version is never pinned
    assert "fails verification" in capsys.readouterr().err
    assert IndexStore(s.index_root).current_version() == v2
    assert main(["index", "use", "../../etc", *h]) == 2
    _truncate(s.index_root / v2 / "dense.faiss")
    assert main(["index", "verify", *h]) == 1  # what serves is bad


def test_version_names_sort_in_publishing_order(tmp_path):
    store = IndexStore(tmp_path)
    names = []
    for _ in range(5):  # all within one second
        name = store._new_version_name()
        (tmp_path / name).mkdir()
        names.append(name)
    assert names == sorted(names) and len(set(names)) == 5
