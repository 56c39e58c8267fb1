"""Analytics on a small hand-made log whose answers are worked out by hand (tests/fixtures/demand).

Hand computation (far_km = 300). Needs: R1 1, R2 2, R3 1, R4 2, R6 1, R7 1, R8 1 = 9; requests 8.
Unmet needs: R2 商品条码 (no referral), R3 (same province, 400 km > 300: far), R4 electrical
(elsewhere: far), R6 (flagged) = 4. R4's CCC is served by a nationwide body: not unmet.
Unmet requests: R2, R3, R4, R5 (abstained), R6 = 5. Same city: R1, R6, R7 = 3/9; same province
adds R2 food and R3 = 5/9. Scores .70 .78 .80 .82 .85 .88 .90 .92 → median .835.
Tickets: response (to 机构已受理) 2, 1, 3 days → median 2; completion 10 and 30 days → median 20;
overdue: T2 closed after its 20-day deadline, T3 open past its 10-day deadline at the log's last
request (03-25) → 2 of 3; ratings 5 and 3 → 4.0.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import insert

from qis_match.analytics import charts
from qis_match.analytics.aggregate import aggregate
from qis_match.analytics.analysis import analyse
from qis_match.analytics.frames import load_frames
from qis_match.analytics.hunan import COLUMNS, hunan_table
from qis_match.analytics.report import write_report
from qis_match.analytics.shenzhen import grade_institutions
from qis_match.analytics.topics import cluster_texts, ctfidf_terms
from qis_match.analytics.trends import ticket_kpis
from qis_match.store.demand_log import DemandLog, DemandNeed, DemandRequest
from qis_match.store.index_store import IndexStore
from qis_match.store.tickets import STATUSES, Choice, TicketStore

FIX = Path(__file__).parent / "fixtures" / "demand"
FAR_KM = 300.0


def _dt(s) -> datetime:
    return s if isinstance(s, datetime) else datetime.fromisoformat(str(s))


def load_handmade(url: str) -> dict[str, str]:
    """Write the hand-made log and its tickets into ``url``; returns request key → request_id."""
    data = yaml.safe_load((FIX / "handmade_log.yaml").read_text(encoding="utf-8"))
    log = DemandLog(url)
    ids = {}
    by_key = {}
    with log.engine.begin() as conn:
        for i, r in enumerate(data["requests"]):
            ind = r.get("industry") or [None, None, None]
            rid = f"{i:032x}"
            req = {
                "request_id": rid,
                "created_at": _dt(r["created_at"]),
                "channel": "test",
                "text": r["text"],
                "province": r.get("province"),
                "city": r.get("city"),
                "enterprise": r.get("enterprise"),
                "industry_code": ind[0],
                "industry_name": ind[1],
                "industry_section": ind[2],
                "n_needs": len(r["needs"]),
                "abstained": not r["needs"],
                "abstain_reason": r.get("abstain_reason"),
                "needs_review": bool(r.get("review_reasons")),
                "review_reasons": r.get("review_reasons", []),
                "entities": {},
            }
            pk = conn.execute(insert(DemandRequest).values(**req)).inserted_primary_key[0]
            for pos, n in enumerate(r["needs"]):
                conn.execute(
                    insert(DemandNeed).values(
                        request_pk=pk,
                        position=pos,
                        score=0.9,
                        resource_type="institution",
                        flagged=n.get("flagged", False),
                        n_same_city=n.get("n_same_city", 0),
                        n_same_province=n.get("n_same_province", 0),
                        **{
                            k: v
                            for k, v in n.items()
                            if k not in ("flagged", "n_same_city", "n_same_province")
                        },
                    )
                )
            ids[r["id"]] = rid
            by_key[r["id"]] = r
    store = TicketStore(url, run_migrations=False)
    for t in data["tickets"]:
        r = by_key[t["request"]]
        created = _dt(t["created_at"])
        ticket = store.create(
            request_text=r["text"],
            needs=[{"category": c} for c in t["needs"]],
            entities={
                "province": r.get("province"),
                "city": r.get("city"),
                "enterprise": t.get("enterprise"),
            },
            choices=[
                Choice(
                    category=c["category"],
                    institution_id=c["institution_id"],
                    institution_name=c["institution_id"],
                    sub_service=c["sub_service"],
                    rank=1,
                    resource_type=c["resource_type"],
                )
                for c in t["referrals"]
            ],
            actor="test",
            role="clerk",
            now=created,
            request_id=ids[t["request"]],
        )
        for status in STATUSES[1:]:
            if status in t["events"]:
                store.change_status(
                    ticket.id, status, actor="test", role="clerk", now=_dt(t["events"][status])
                )
        if "rating" in t:
            store.add_feedback(ticket.id, actor="test", rating=t["rating"])
    store.close()
    return ids


@pytest.fixture()
def handmade(tmp_path):
    url = f"sqlite:///{tmp_path}/log.db"
    load_handmade(url)
    return DemandLog(url, run_migrations=False)


@pytest.fixture()
def frames(handmade):
    return load_frames(handmade, FAR_KM)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_aggregates_match_hand_computation(frames, engine):
    n, r = frames.needs, frames.requests
    assert len(r) == 8 and len(n) == 9
    assert int(n["unmet"].sum()) == 4 and int(r["unmet"].sum()) == 5
    assert n["reason"].value_counts().to_dict() == {"": 5, "far": 2, "no_provider": 1, "flagged": 1}
    assert math.isclose(n["served_same_city"].mean(), 3 / 9)
    assert math.isclose(n["served_same_province"].mean(), 5 / 9)
    assert math.isclose(n["top_score"].median(), 0.835)
    t = aggregate(n, r, engine)
    ds = t["demand_supply"].set_index(["sub_service", "city"])
    food = ds.loc[("testing.food", "长沙市")]
    assert (food["requests"], food["needs"], food["unmet"]) == (2, 2, 0)
    assert math.isclose(food["share_same_city"], 0.5) and math.isclose(
        food["share_same_province"], 1
    )
    assert math.isclose(food["median_score"], 0.85)
    coding = ds.loc[("other.article_coding", "长沙市")]
    assert (coding["unmet"], coding["unmet_share"]) == (1, 1.0) and pd.isna(coding["median_score"])
    assert int(ds["needs"].sum()) == 9  # every need in exactly one row, missing regions included
    city = t["demand_supply_city"].set_index(["sub_service", "city"])
    assert city.loc[("testing.food", "长沙市"), ["requests", "unmet"]].tolist() == [2, 0]
    assert city.loc[("testing.food", "湘西土家族苗族自治州"), "unmet"] == 1
    monthly = t["monthly"].set_index("month")
    assert monthly.loc["2025-01", ["requests", "abstained", "unmet"]].tolist() == [2, 0, 1]
    assert monthly.loc["2025-02", ["requests", "abstained", "unmet"]].tolist() == [3, 1, 3]
    assert monthly.loc["2025-03", ["requests", "flagged", "unmet"]].tolist() == [3, 1, 1]
    heat = t["heat"].set_index(["category", "city"])
    assert heat.loc[("metrology", "武汉市"), ["needs", "unmet"]].tolist() == [2, 1]
    assert heat.loc[("testing", "南昌市"), "unmet"] == 1
    assert heat.loc[("certification", "南昌市"), "unmet"] == 0
    sub = t["by_sub_service"].set_index("sub_service")
    assert sub.loc["testing.food", ["needs", "unmet", "far"]].tolist() == [3, 1, 1]


def test_engines_agree(frames):
    a = aggregate(frames.needs, frames.requests, "duckdb")
    b = aggregate(frames.needs, frames.requests, "pandas")
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, check_exact=False)


def test_ticket_times_and_overdue(frames):
    k = ticket_kpis(frames.tickets)
    assert (k["tickets"], k["closed"], k["overdue"]) == (3, 2, 2)
    assert math.isclose(k["overdue_rate"], 2 / 3)
    assert math.isclose(k["response_days_median"], 2.0)
    assert math.isclose(k["completion_days_median"], 20.0)
    assert math.isclose(k["rating_mean"], 4.0)


def test_hunan_table_from_the_log(frames):
    platforms = pd.DataFrame(
        [{"province": "湖南省", "city": "长沙市", "name": "长沙演示一站式服务站"}]
    )
    t = hunan_table(frames, platforms, "湖南省")
    assert list(t.columns) == COLUMNS
    assert t["地区（市、县）"].tolist() == ["长沙市", "湘西土家族苗族自治州"]
    cs = t.iloc[0]
    assert cs["序号"] == 1 and cs["试点项目（站点、平台）名称"] == "长沙演示一站式服务站"
    assert cs["服务次数"] == 2 and cs["参与服务专家人次"] == 1 and cs["服务市场主体数量"] == 2
    assert (
        cs["基本情况（200字以内）"]
        == "受理企业需求3件（3项服务需求），转介工单2件；同城可满足33%，未满足需求1项。"
    )
    assert cs["服务企业质量提高成效"] == "回访2件，企业评价平均4.0分（满分5分）"
    assert cs["其他成效（拉动投资，增加产值等，200字以内）"] == "办结2件，超过办结时限1件"
    assert cs["本年度投入经费（万元）"] == "" and cs["为企业节约费用（万元）"] == ""
    xs = t.iloc[1]
    assert xs["服务次数"] == 0 and xs["试点项目（站点、平台）名称"] == "（本地无一站式服务平台）"


def test_shenzhen_grading_counts_article9_capabilities(built_settings, fixture_catalog):
    index = IndexStore(built_settings.index_root).load()
    g = grade_institutions(index).set_index("institution_id")
    caps = pd.read_csv(fixture_catalog / "capabilities.csv")
    instr = pd.read_csv(fixture_catalog / "instruments.csv")
    held = pd.concat(
        [
            caps[["institution_id", "category"]],
            instr.assign(category=instr["sub_service"].str.split(".").str[0]).rename(
                columns={"owner_institution_id": "institution_id"}
            )[["institution_id", "category"]],
        ]
    )
    expected = held.groupby("institution_id")["category"].nunique()
    inst = pd.read_csv(fixture_catalog / "institutions.csv")
    for iid in inst["institution_id"]:
        n = int(expected.get(iid, 0))
        row = g.loc[iid]
        assert row["服务能力项数"] == n
        assert ("（六）" in row["满足条件（第十三条）"]) == (n >= 5)
        assert ("（六）" in row["不满足条件"]) == (n < 5)
        assert row["分类"] == ("综合服务型" if n >= 5 else "专业服务型" if n >= 2 else "单项服务型")
        assert "（一）" in row["无数据待核实"] and "（五）" in row["无数据待核实"]


def test_clustering_groups_the_same_unmet_need(e5_encoder):
    from sklearn.metrics import adjusted_rand_score

    df = pd.read_csv(FIX / "cluster_labelled.tsv", sep="\t")
    labels = cluster_texts(df["text"].tolist(), e5_encoder, max_topics=12, seed=0)
    assert adjusted_rand_score(df["label"], labels) >= 0.8
    purity = pd.crosstab(labels, df["label"]).max(axis=1).sum() / len(df)
    assert purity >= 0.9
    from qis_match.analytics.topics import _place_words, _words
    from qis_match.text.tokenize import default_tokenizer

    tok = default_tokenizer()
    terms = ctfidf_terms([_words(t, tok, _place_words()) for t in df["text"]], labels)
    drone = np.bincount(labels[df["label"] == "drone"]).argmax()
    assert "无人机" in terms[drone][:3]


def test_report_files_hold_the_log_numbers(handmade, built_settings, tmp_path):
    s = built_settings.model_copy(update={"analytics_far_km": FAR_KM})
    a = analyse(s, handmade, encoder=None, province="湖南省")
    assert a.kpis["unmet_needs"] == 4 and a.kpis["requests"] == 8
    assert len(a.topics.table) >= 2  # four unmet needs and one abstention, TF-IDF grouped
    files = write_report(a, tmp_path / "report", FAR_KM)
    for name in ("heat_unmet", "topics", "trend_monthly", "ticket_times"):
        assert files[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = files["html"].read_text(encoding="utf-8")
    assert "未满足的需求项</td><td>4（44.4%）" in html
    assert "超过办结时限</td><td>2（66.7%）" in html
    assert "<td>长沙市</td>" in html and "heat_unmet.png" in html
    wb = load_workbook(files["xlsx"])
    ws = wb["附件3"]
    assert ws["A1"].value.startswith("质量基础设施")
    header = [c.value for c in ws[3]]
    assert header == COLUMNS
    row = {h: c.value for h, c in zip(header, ws[4], strict=True)}
    assert (
        row["地区（市、县）"] == "长沙市" and row["服务次数"] == 2 and row["服务市场主体数量"] == 2
    )
    kpis = {r[0].value: r[1].value for r in wb["总体情况"].iter_rows(min_row=2)}
    assert kpis["需求记录（件）"] == "8"


def test_charts_without_a_cjk_font(frames, tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    t = aggregate(frames.needs, frames.requests, "pandas")
    p = charts.heat_unmet(t["heat"], tmp_path / "h.png")
    assert p.stat().st_size > 1000


@pytest.mark.postgres
def test_handmade_log_on_postgres(postgres_url):
    """The same log and answers on PostgreSQL (QIS_TEST_POSTGRES_URL)."""

    import sqlalchemy as sa

    url = postgres_url
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for t in (
            "demand_needs",
            "demand_requests",
            "feedback",
            "ticket_events",
            "ticket_referrals",
            "tickets",
            "alembic_version",
        ):
            c.exec_driver_sql(f"DROP TABLE IF EXISTS {t} CASCADE")
    engine.dispose()
    load_handmade(url)
    log = DemandLog(url, run_migrations=False)
    f = load_frames(log, FAR_KM)
    assert (len(f.requests), len(f.needs), int(f.needs["unmet"].sum())) == (8, 9, 4)
    k = ticket_kpis(f.tickets)
    assert (k["tickets"], k["overdue"], k["completion_days_median"]) == (3, 2, 20.0)
    log.engine.dispose()
