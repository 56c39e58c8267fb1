"""Nothing lost (issue 23): catalog updates through the API and the CLI survive a rebuild.

Every accepted update is journaled under the home (``qis_match.catalog.updates``) before the index
switches, and ``build`` reads the catalog folder plus the journal, so that a rebuild (with the same
or another encoder) finds every added, replaced and removed resource as the updates left them, and
equals a fresh build over the catalog with the updates merged in by hand."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from qis_match.build import build_index
from qis_match.catalog.updates import UpdateJournal
from qis_match.cli import main
from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore
from qis_match.store.tickets import TicketStore
from qis_match.update import update_index
from service.app import create_app
from service.security import KeyRing
from tests.test_incremental_update import CAP_HEADER, INST_HEADER, NEW_INSTITUTIONS, NEW_LINES

ADMIN = {"X-API-Key": "admin-key-for-tests-0123456789"}
KEYS = "admin:root:admin-key-for-tests-0123456789"
QUERIES = (
    "儿童玩具小零件检测",
    "商标注册",
    "电热水壶泄漏电流",
    "压力表检定",
    "电子天平校准",
    "水表检定",
)

# Through the CLI: T-MET-CS replaced (a new name, one line instead of two), T-STD-CS removed.
CLI_INSTITUTION = (
    "T-MET-CS,长沙市测试计量所新址（测试）,法定计量技术机构,,430102,,,,芙蓉区测试新路8号,,,"
    "province,计量授权,onsite,true,,5,0731-00002222,t2@example.com,测试数据,true"
)
CLI_LINES = ["L900,T-MET-CS,metrology,metrology.calibration,电子天平,校准,,,,,"]


class HashEncoder:
    """A cheap deterministic encoder (character bigrams hashed into 64 dimensions): another
    encoder than the index was first built with, without a model."""

    name, dim = "test-hash-bigrams-64", 64

    def _encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for a, b in zip(t, t[1:] + " ", strict=True):
                out[i, hashlib.md5((a + b).encode()).digest()[0] % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def encode_queries(self, texts):
        return self._encode(texts)

    def encode_passages(self, texts):
        return self._encode(texts)


def _csv(lines: list[str], header: str) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def _write(directory: Path, institutions: list[str], lines: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "institutions.csv").write_bytes(_csv(institutions, INST_HEADER))
    (directory / "capabilities.csv").write_bytes(_csv(lines, CAP_HEADER))
    return directory


def _merged_by_hand(catalog: Path, out: Path) -> Path:
    """The catalog the API and CLI updates amount to, merged with pandas (not the journal code)."""
    shutil.copytree(catalog, out)

    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    inst, caps = read(catalog / "institutions.csv"), read(catalog / "capabilities.csv")
    instr = read(catalog / "instruments.csv")
    api = _write(out.parent / "d-api", NEW_INSTITUTIONS, NEW_LINES)
    cli = _write(out.parent / "d-cli", [CLI_INSTITUTION], CLI_LINES)
    api_inst, api_caps = read(api / "institutions.csv"), read(api / "capabilities.csv")
    cli_inst, cli_caps = read(cli / "institutions.csv"), read(cli / "capabilities.csv")
    drop = {"T-LAB-WH", "T-IP-WH", "T-MET-CS", "T-STD-CS"}  # removed or replaced
    pd.concat([inst[~inst.institution_id.isin(drop)], api_inst, cli_inst]).to_csv(
        out / "institutions.csv", index=False
    )
    pd.concat([caps[~caps.institution_id.isin(drop)], api_caps, cli_caps]).to_csv(
        out / "capabilities.csv", index=False
    )
    instr[instr.owner_institution_id != "T-LAB-WH"].to_csv(out / "instruments.csv", index=False)
    return out


@pytest.fixture(scope="module")
def journaled(tmp_path_factory, fixture_catalog, e5_encoder, embedding_cache_path):
    """A home whose index was built over its configured catalog, then updated through the API
    (T-LAB-XG added, T-IP-WH replaced, T-LAB-WH removed) and the CLI (T-MET-CS replaced,
    T-STD-CS removed)."""
    tmp = tmp_path_factory.mktemp("journal")
    catalog = tmp / "catalog"
    shutil.copytree(fixture_catalog, catalog)
    cache = tmp / "embeddings.sqlite"
    if embedding_cache_path.exists():
        shutil.copy(embedding_cache_path, cache)
    s = Settings(
        home=tmp / "home",
        catalog_dir=catalog,
        needs_model="retrieval",
        embedding_cache=cache,
        rate_limit_per_minute=0,
        index_check_seconds=0.0,
    )
    first = build_index(s, encoder=e5_encoder, progress=False)
    app = create_app(
        s,
        matcher=Matcher(s, encoder=e5_encoder),
        ticket_store=TicketStore(f"sqlite:///{tmp}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    files = [
        ("files", ("institutions.csv", _csv(NEW_INSTITUTIONS, INST_HEADER), "text/csv")),
        ("files", ("capabilities.csv", _csv(NEW_LINES, CAP_HEADER), "text/csv")),
    ]
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/index/update", files=files, data={"remove": "T-LAB-WH"}, headers=ADMIN
        )
        assert r.status_code == 200, r.text
    env = {
        "QIS_HOME": str(s.home),
        "QIS_CATALOG_DIR": str(catalog),
        "QIS_EMBEDDING_CACHE": str(cache),
        "QIS_NEEDS_MODEL": "retrieval",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        delta = _write(tmp / "cli-delta", [CLI_INSTITUTION], CLI_LINES)
        assert main(["update", "--catalog", str(delta), "--remove", "T-STD-CS", "--json"]) == 0
    incremental = IndexStore(s.index_root).current_path()
    return s, env, first, incremental, tmp


def _resource_ids(path: Path) -> set[str]:
    return set(IndexStore(path.parent).load(path).resources["resource_id"])


def _check_all_updates_present(s: Settings, index_path: Path) -> None:
    data = IndexStore(s.index_root).load(index_path)
    res = data.resources.set_index("resource_id")
    ids = set(res.index)
    assert {"T-LAB-XG", "T-IP-WH", "T-MET-CS"} <= ids  # added, replaced (API), replaced (CLI)
    assert not ids & {"T-LAB-WH", "Q-GCMS-WH", "Q-SALT-WH", "T-STD-CS"}  # removed (+ owned)
    lines = data.lines
    of = lambda rid: sorted(lines.loc[lines["resource_id"] == rid, "line_id"])  # noqa: E731
    assert of("T-LAB-XG") == ["X001", "X002"]
    assert of("T-IP-WH") == ["L024"]  # the trademark line L023 went with the replacement
    assert of("T-MET-CS") == ["L900"]
    assert res.loc["T-MET-CS", "name"] == "长沙市测试计量所新址（测试）"
    assert not set(lines["resource_id"]) & {"T-LAB-WH", "T-STD-CS"}


def test_both_updates_are_journaled_before_and_with_the_index(journaled, capsys):
    s, env, first, incremental, _ = journaled
    entries = UpdateJournal(s.catalog_updates_dir).entries()
    assert [e.seq for e in entries] == [1, 2]
    assert entries[0].upserted == ["T-LAB-XG", "T-IP-WH"] and entries[0].removed == ["T-LAB-WH"]
    assert entries[1].upserted == ["T-MET-CS"] and entries[1].removed == ["T-STD-CS"]
    assert sorted(p.name for p in entries[0].path.iterdir()) == [
        "capabilities.csv",
        "institutions.csv",
        "update.json",
    ]
    manifest = json.loads((incremental / "manifest.json").read_text("utf-8"))
    assert manifest["catalog_updates_applied"] == 2
    assert [c["journal_seq"] for c in manifest["catalog_changes"]] == [1, 2]
    _check_all_updates_present(s, incremental)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert main(["update", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["seq"], r["in_index"]) for r in rows] == [(1, True), (2, True)]


def test_a_rebuild_through_the_cli_keeps_every_update(journaled, capsys):
    s, env, _, incremental, _ = journaled
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert main(["build", "-q"]) == 0
    assert "catalog updates: 2 included" in capsys.readouterr().out
    rebuilt = IndexStore(s.index_root).current_path()
    assert rebuilt != incremental
    _check_all_updates_present(s, rebuilt)
    manifest = json.loads((rebuilt / "manifest.json").read_text("utf-8"))
    assert manifest["catalog_updates_applied"] == 2 and manifest["catalog_updates_included"] == 2
    assert _resource_ids(rebuilt) == _resource_ids(incremental)


def test_incremental_update_rebuild_and_fresh_build_over_the_merged_catalog_agree(
    journaled, e5_encoder
):
    s, _, _, incremental, tmp = journaled
    fresh = s.model_copy(update={"home": tmp / "fresh"})
    build_index(
        fresh, _merged_by_hand(s.catalog_dir, tmp / "merged"), encoder=e5_encoder, progress=False
    )
    rebuilt = s.model_copy(update={"home": tmp / "rebuilt"})
    shutil.copytree(s.home / "catalog-updates", rebuilt.home / "catalog-updates")
    build_index(rebuilt, encoder=e5_encoder, progress=False)  # catalog folder + journal
    fresh_data = IndexStore(fresh.index_root).load()
    for other in (
        IndexStore(s.index_root).load(incremental),
        IndexStore(rebuilt.index_root).load(),
    ):
        assert set(other.resources["resource_id"]) == set(fresh_data.resources["resource_id"])
        key = ["resource_id", "line_id"]
        assert sorted(map(tuple, other.lines[key].astype(str).to_numpy())) == sorted(
            map(tuple, fresh_data.lines[key].astype(str).to_numpy())
        )
    # The rebuild answers like a fresh build (scores too), and so does the incremental chain.
    m_fresh = Matcher(fresh, encoder=e5_encoder)
    m_rebuilt = Matcher(rebuilt, encoder=e5_encoder)
    for q in QUERIES:
        want = [(r.resource_id, round(r.score, 5)) for r in m_fresh.search(q, "湖北省武汉市")]
        assert [
            (r.resource_id, round(r.score, 5)) for r in m_rebuilt.search(q, "湖北省武汉市")
        ] == (want), q
    upd = s.model_copy(update={"home": tmp / "incremental-only"})  # serving the updated version
    upd.index_root.mkdir(parents=True)
    shutil.copytree(incremental, upd.index_root / incremental.name)
    (upd.index_root / "CURRENT").write_text(incremental.name + "\n", encoding="utf-8")
    m_inc = Matcher(upd, encoder=e5_encoder)
    for q in QUERIES:
        want = [(r.resource_id, round(r.score, 5)) for r in m_fresh.search(q, "湖北省武汉市")]
        assert [(r.resource_id, round(r.score, 5)) for r in m_inc.search(q, "湖北省武汉市")] == (
            want
        ), q


def test_a_rebuild_with_another_encoder_keeps_every_update(journaled):
    s, _, _, _, tmp = journaled
    other = s.model_copy(update={"home": tmp / "other-encoder"})
    shutil.copytree(s.home / "catalog-updates", other.home / "catalog-updates")
    report = build_index(other, encoder=HashEncoder(), progress=False)
    assert report.manifest["encoder"] == HashEncoder.name
    _check_all_updates_present(other, report.path)
    m = Matcher(other, encoder=HashEncoder())
    assert "T-LAB-XG" in [r.resource_id for r in m.search("儿童玩具小零件检测", "湖北省孝感市")]


def test_another_catalog_is_built_without_the_journal_unless_asked(journaled, e5_encoder):
    s, _, _, _, tmp = journaled
    elsewhere = tmp / "export"
    if not elsewhere.exists():
        shutil.copytree(s.catalog_dir, elsewhere)
    side = s.model_copy(update={"home": tmp / "side"})
    shutil.copytree(s.home / "catalog-updates", side.home / "catalog-updates")
    plain = build_index(side, elsewhere, encoder=e5_encoder, progress=False)
    assert plain.manifest["catalog_updates_applied"] is None
    assert "T-LAB-XG" not in _resource_ids(plain.path) and "T-LAB-WH" in _resource_ids(plain.path)
    with_updates = build_index(side, elsewhere, encoder=e5_encoder, progress=False, updates=True)
    _check_all_updates_present(side, with_updates.path)
    without = build_index(side, encoder=e5_encoder, progress=False, updates=False)
    assert "T-LAB-XG" not in _resource_ids(without.path)


# --- failures, crashes and concurrency ----------------------------------------------------------


def test_a_rejected_or_failed_update_leaves_no_journal_entry(
    home_with_index, e5_encoder, monkeypatch
):
    s = home_with_index
    journal = UpdateJournal(s.catalog_updates_dir)
    with pytest.raises(Exception, match="unknown resource"):
        update_index(s, None, ["NO-SUCH"], encoder=e5_encoder)
    bad = _write(
        s.home.parent / "bad",
        NEW_INSTITUTIONS[:1],
        ["X009,T-LAB-XG,testing,testing.nope,玩具,,,,,,"],
    )
    with pytest.raises(Exception, match="row 2"):
        update_index(s, bad, encoder=e5_encoder)
    # a line id another institution's line has already: rejected, not silently duplicated
    clash = _write(
        s.home.parent / "clash",
        NEW_INSTITUTIONS[:1],
        ["L001,T-LAB-XG,testing,testing.consumer,儿童玩具,小零件,,,,,"],
    )
    with pytest.raises(Exception, match="'L001' \\(a line of 'T-MET-WH'\\)"):
        update_index(s, clash, encoder=e5_encoder)
    assert journal.entries() == []

    def fails(*a, **k):
        raise OSError(28, "No space left on device")

    before = IndexStore(s.index_root).current_version()
    monkeypatch.setattr(IndexStore, "commit", fails)  # after the journal write, before the switch
    with pytest.raises(OSError, match="No space"):
        update_index(s, None, ["T-STD-CS"], encoder=e5_encoder)
    assert journal.entries() == []  # taken back: the update did not happen
    assert IndexStore(s.index_root).current_version() == before


def test_a_crash_between_journal_and_switch_is_replayed(home_with_index, e5_encoder, monkeypatch):
    s = home_with_index
    store = IndexStore(s.index_root)
    before = store.current_version()
    real_commit = IndexStore.commit

    def crash(*a, **k):
        raise SystemExit("killed")  # the process dies: no rollback runs

    monkeypatch.setattr(IndexStore, "commit", crash)
    monkeypatch.setattr(UpdateJournal, "discard", lambda self, entry: None)
    delta = _write(s.home.parent / "delta", NEW_INSTITUTIONS, NEW_LINES)
    with pytest.raises(SystemExit):
        update_index(s, delta, ["T-LAB-WH"], encoder=e5_encoder)
    monkeypatch.setattr(IndexStore, "commit", real_commit)
    assert store.current_version() == before
    assert [e.seq for e in UpdateJournal(s.catalog_updates_dir).entries()] == [1]
    # The next update replays the recorded one first, then applies its own.
    report = update_index(s, None, ["T-STD-CS"], encoder=e5_encoder)
    ids = set(store.load().resources["resource_id"])
    assert "T-LAB-XG" in ids and not ids & {"T-LAB-WH", "T-STD-CS"}
    assert report.manifest["catalog_updates_applied"] == 2
    assert [c.get("replayed", False) for c in report.manifest["catalog_changes"]] == [True, False]
    # And a rebuild has both.
    rebuilt = build_index(s, encoder=e5_encoder, progress=False)
    assert set(IndexStore(s.index_root).load(rebuilt.path).resources["resource_id"]) == ids


def test_concurrent_updates_are_all_kept(home_with_index, e5_encoder):
    s = home_with_index
    errors: list[BaseException] = []

    def remove(rid: str) -> None:
        try:
            update_index(s, None, [rid], encoder=e5_encoder)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=remove, args=(r,)) for r in ("T-STD-CS", "T-SE-WH", "T-CERT-BJ")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries = UpdateJournal(s.catalog_updates_dir).entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert sorted(r for e in entries for r in e.removed) == ["T-CERT-BJ", "T-SE-WH", "T-STD-CS"]
    gone = {"T-STD-CS", "T-SE-WH", "T-CERT-BJ"}
    assert not set(IndexStore(s.index_root).load().resources["resource_id"]) & gone
    rebuilt = build_index(s, encoder=e5_encoder, progress=False)
    assert not _resource_ids(rebuilt.path) & gone


def test_an_update_accepted_while_a_build_runs_is_in_the_result(
    home_with_index, e5_encoder, monkeypatch
):
    import qis_match.build as build_module

    s = home_with_index
    real = build_module.embed_texts
    done: list[str] = []

    def embed_and_meanwhile_update(*a, **k):
        if not done:  # another process's update lands while this build embeds
            done.append(update_index(s, None, ["T-STD-CS"], encoder=e5_encoder).path.name)
        return real(*a, **k)

    monkeypatch.setattr(build_module, "embed_texts", embed_and_meanwhile_update)
    report = build_index(s, encoder=e5_encoder, progress=False)
    assert done and report.path.name != done[0]
    assert IndexStore(s.index_root).current_version() == report.path.name
    assert "T-STD-CS" not in _resource_ids(report.path)
    assert report.manifest["catalog_updates_applied"] == 1


def test_a_workbook_update_is_journaled_as_sent_and_replayed(fixture_catalog, tmp_path):
    from qis_match.catalog import load_catalog
    from qis_match.catalog.updates import apply_updates

    delta = _write(tmp_path / "d", NEW_INSTITUTIONS, NEW_LINES)
    book = tmp_path / "a workbook with any name.xlsx"
    with pd.ExcelWriter(book) as w:
        for sheet in ("institutions", "capabilities"):
            pd.read_csv(delta / f"{sheet}.csv", dtype=str, keep_default_na=False).to_excel(
                w, sheet_name=sheet, index=False
            )
    journal = UpdateJournal(tmp_path / "journal")
    entry = journal.append(book, ["T-LAB-XG", "T-IP-WH"], ["T-LAB-WH"], {})
    assert sorted(p.name for p in entry.path.iterdir()) == ["catalog.xlsx", "update.json"]
    assert not list(journal.root.glob(".writing-*"))
    base = load_catalog(fixture_catalog)
    merged = apply_updates(base, journal.entries())
    ids = set(merged.institutions["institution_id"])
    assert "T-LAB-XG" in ids and "T-LAB-WH" not in ids and merged.issues == []
    assert sorted(merged.lines.loc[merged.lines.institution_id == "T-IP-WH", "line_id"]) == ["L024"]
    assert set(merged.instruments["owner_institution_id"]) & {"T-LAB-WH"} == set()
    assert merged.version != base.version
    # numbers are never reused, even when an entry is taken back
    journal.discard(entry)
    assert journal.append(None, [], ["T-STD-CS"], {}).seq == 2
