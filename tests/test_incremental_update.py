"""Incremental updates (issue #6): add, replace and remove institutions without a rebuild, with the
same answers as a fresh build over the same catalog, and nothing changed when an update is bad."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qis_match.build import build_index
from qis_match.errors import CatalogError
from qis_match.pipeline import Matcher
from qis_match.retrieval.bm25 import BM25Index
from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore
from qis_match.update import update_index

INST_HEADER = (
    "institution_id,name,type,parent_id,adcode,province,city,district,address,longitude,latitude,"
    "service_area,accreditations,channels,small_business_discount,discount_note,turnaround_days,"
    "phone,email,description,demo"
)
CAP_HEADER = (
    "line_id,institution_id,category,sub_service,object,item,standard,standard_title,"
    "measuring_range,accuracy,description"
)
NEW_INSTITUTIONS = [
    "T-LAB-XG,孝感测试玩具检测有限公司（测试）,第三方检验检测机构,,420902,,,,孝南区测试路9号,,,local,CMA,onsite,true,,5,0712-00009999,t9@example.com,测试数据,true",
    "T-IP-WH,武汉测试知识产权代理有限公司（测试）,知识产权服务机构,,420103,,,,武昌区测试路5号,,,province,,onsite|online,false,,10,027-00005555,t5@example.com,测试数据,true",
]
NEW_LINES = [
    "X001,T-LAB-XG,testing,testing.consumer,儿童玩具,小零件,GB 6675.2-2014,玩具安全 第2部分：机械与物理性能,,,",
    "X002,T-LAB-XG,testing,testing.consumer,儿童玩具,锐利边缘与锐利尖端,GB 6675.2-2014,玩具安全 第2部分：机械与物理性能,,,",
    # T-IP-WH is replaced: patents only, no trademarks any more
    "L024,T-IP-WH,ip,ip.patent,发明专利申请代理,,,,,,撰写专利申请文件并代理提交。",
]


def _write_delta(directory: Path, institutions: list[str], lines: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "institutions.csv").write_text(
        "\n".join([INST_HEADER, *institutions]) + "\n", encoding="utf-8"
    )
    (directory / "capabilities.csv").write_text(
        "\n".join([CAP_HEADER, *lines]) + "\n", encoding="utf-8"
    )
    return directory


def _merged_catalog(fixture: Path, out: Path) -> Path:
    """The catalog the update should amount to, written out for a fresh build."""
    shutil.copytree(fixture, out)
    inst = pd.read_csv(fixture / "institutions.csv", dtype=str, keep_default_na=False)
    caps = pd.read_csv(fixture / "capabilities.csv", dtype=str, keep_default_na=False)
    instr = pd.read_csv(fixture / "instruments.csv", dtype=str, keep_default_na=False)
    drop = {"T-LAB-WH", "T-IP-WH"}
    delta = _write_delta(out.parent / "delta-for-merge", NEW_INSTITUTIONS, NEW_LINES)
    d_inst = pd.read_csv(delta / "institutions.csv", dtype=str, keep_default_na=False)
    d_caps = pd.read_csv(delta / "capabilities.csv", dtype=str, keep_default_na=False)
    pd.concat([inst[~inst.institution_id.isin(drop)], d_inst]).to_csv(
        out / "institutions.csv", index=False
    )
    pd.concat([caps[~caps.institution_id.isin(drop)], d_caps]).to_csv(
        out / "capabilities.csv", index=False
    )
    instr[instr.owner_institution_id != "T-LAB-WH"].to_csv(out / "instruments.csv", index=False)
    return out


@pytest.fixture(scope="module")
def updated(tmp_path_factory, fixture_catalog, e5_encoder, embedding_cache_path):
    """An index built over the fixture, then: T-LAB-XG added, T-IP-WH replaced, T-LAB-WH removed."""
    tmp = tmp_path_factory.mktemp("upd")
    s = Settings(
        home=tmp / "home",
        catalog_dir=fixture_catalog,
        needs_model="retrieval",
        embedding_cache=embedding_cache_path,
    )
    first = build_index(s, encoder=e5_encoder, progress=False)
    delta = _write_delta(tmp / "delta", NEW_INSTITUTIONS, NEW_LINES)
    report = update_index(s, delta, ["T-LAB-WH"], encoder=e5_encoder)
    fresh_settings = s.model_copy(update={"home": tmp / "fresh"})
    build_index(
        fresh_settings,
        _merged_catalog(fixture_catalog, tmp / "merged"),
        encoder=e5_encoder,
        progress=False,
    )
    return s, fresh_settings, first, report


def test_update_publishes_a_new_version_with_its_change_history(updated):
    s, _, first, report = updated
    store = IndexStore(s.index_root)
    assert store.current_path() == report.path != first.path
    m = report.manifest
    assert m["updated_from"] == first.path.name
    assert m["catalog_version"] != first.manifest["catalog_version"]
    (change,) = m["catalog_changes"]
    assert change["upserted"] == ["T-LAB-XG", "T-IP-WH"] and change["removed"] == ["T-LAB-WH"]
    # The removed lab's instruments went with it; nothing else was lost.
    assert sorted(report.removed) == ["Q-GCMS-WH", "Q-SALT-WH", "T-LAB-WH"]
    assert m["institutions"] == first.manifest["institutions"]  # one in, one out
    assert report.new_passages >= 2 and report.retired_passages >= 3


def test_updated_index_answers_like_a_fresh_build(updated, e5_encoder):
    s, fresh_settings, _, _ = updated
    upd = Matcher(s, encoder=e5_encoder)
    fresh = Matcher(fresh_settings, encoder=e5_encoder)
    for q in (
        "儿童玩具小零件检测",
        "商标注册",
        "电热水壶泄漏电流",
        "气相色谱质谱联用仪",
        "压力表检定",
    ):
        a = [(r.resource_id, round(r.score, 5)) for r in upd.search(q, "湖北省武汉市")]
        b = [(r.resource_id, round(r.score, 5)) for r in fresh.search(q, "湖北省武汉市")]
        assert a == b, q
    found = upd.search("儿童玩具小零件检测", "湖北省孝感市")
    assert found[0].resource_id == "T-LAB-XG"
    ids = {r.resource_id for q in ("电热水壶", "商标注册代理") for r in upd.search(q)}
    assert "T-LAB-WH" not in ids
    assert upd.resource("T-LAB-WH") is None and upd.resource("Q-GCMS-WH") is None
    ip = upd.resource("T-IP-WH")
    assert [c["sub_service"] for c in ip["capabilities"]] == ["ip.patent"]


def test_bm25_statistics_equal_a_fresh_fit_over_live_passages(updated):
    s, fresh_settings, _, _ = updated
    upd, fresh = IndexStore(s.index_root).load(), IndexStore(fresh_settings.index_root).load()
    assert upd.retired is not None and upd.retired.sum() > 0
    live_text = upd.passages["text"].to_numpy()[~upd.retired]
    assert sorted(live_text) == sorted(fresh.passages["text"])
    for terms in (["玩具", "小零件"], ["压力表"], ["GB 4706.1-2005", "电热水壶"]):
        a = dict(zip(upd.passages["text"], upd.bm25.scores(terms), strict=True))
        b = dict(zip(fresh.passages["text"], fresh.bm25.scores(terms), strict=True))
        assert all(a[t] == pytest.approx(b[t], rel=1e-5) for t in live_text), terms
        assert not upd.bm25.scores(terms)[upd.retired].any()


def test_bm25_add_and_retire_match_fit():
    docs = [["a", "b"], ["b", "c", "c"], ["d"], ["a", "e"]]
    inc = BM25Index().fit(docs[:2])
    inc.add(docs[2:])
    inc.set_alive(np.array([True, False, True, True]))
    ref = BM25Index().fit([docs[0], docs[2], docs[3]])
    for q in (["a"], ["b", "e"], ["d", "a"]):
        got = inc.scores(q)[[0, 2, 3]]
        assert np.allclose(got, ref.scores(q)), q
        assert inc.scores(q)[1] == 0


def test_a_bad_update_is_rejected_whole_with_row_and_column(updated, tmp_path, e5_encoder):
    s, *_ = updated
    store = IndexStore(s.index_root)
    before = store.current_version()
    bad = _write_delta(
        tmp_path / "bad",
        NEW_INSTITUTIONS[:1],
        [NEW_LINES[0], "X009,T-LAB-XG,testing,testing.no_such_service,儿童玩具,,,,,,"],
    )
    with pytest.raises(CatalogError, match=r"row 3.*sub_service|sub_service.*row 3"):
        update_index(s, bad, encoder=e5_encoder)
    with pytest.raises(CatalogError, match="unknown resource"):
        update_index(s, None, ["NO-SUCH-ID"], encoder=e5_encoder)
    assert store.current_version() == before
    assert not list(s.index_root.glob(".building-*"))


def test_a_failed_write_leaves_the_previous_version_serving(updated, monkeypatch, e5_encoder):
    s, *_ = updated
    store = IndexStore(s.index_root)
    before = store.current_version()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qis_match.retrieval.dense.DenseIndex.save", full_disk)
    with pytest.raises(OSError, match="No space"):
        update_index(s, None, ["T-STD-CS"], encoder=e5_encoder)
    assert store.current_version() == before
    assert not list(s.index_root.glob(".building-*"))
    assert "T-STD-CS" in set(store.load().resources["resource_id"])
