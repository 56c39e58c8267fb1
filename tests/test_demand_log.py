"""The demand log: what a match records, the demo generator through the real matcher, the API
hooks (match and ticket recorded once and linked), the analyst-only API and `match --log`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from qis_match.analytics.demo import generate_demo_log, generate_requests
from qis_match.store.demand_log import DemandLog
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing

CLERK = {"X-API-Key": "clerk-key-for-tests-0123456789"}
ADMIN = {"X-API-Key": "admin-key-for-tests-0123456789"}
RAISE = False
ANALYST = {"X-API-Key": "analyst-key-for-tests-0123456789"}
KEYS = (
    "clerk:alice:clerk-key-for-tests-0123456789,admin:root:admin-key-for-tests-0123456789,"
    "analyst:ann:analyst-key-for-tests-0123456789"
)


def test_record_keeps_what_the_match_said(matcher, tmp_path):
    log = DemandLog(f"sqlite:///{tmp_path}/d.db")
    res = matcher.match(
        "压力表到期要送检，还想注册商标，联系人王经理13800001234", region="湖北省武汉市"
    )
    rid = log.record(res, channel="cli")
    requests, needs = log.frames()
    r = requests.iloc[0]
    assert r["request_id"] == rid and r["channel"] == "cli"
    assert "13800001234" not in r["text"] and r["text"] == res.text  # redacted text only
    assert (r["province"], r["city"]) == ("湖北省", "武汉市")
    assert r["n_needs"] == len(res.needs) == len(needs)
    assert set(needs["category"]) == {n.category for n in res.needs}
    for b, (_, n) in zip(res.bundle, needs.iterrows(), strict=True):
        assert n["n_referrals"] == len(b.referrals)
        assert n["top_resource_id"] == (b.referrals[0].resource_id if b.referrals else None)
        assert n["n_same_city"] == sum(x.locality == "same_city" for x in b.referrals)


def test_abstention_is_logged(matcher, tmp_path):
    log = DemandLog(f"sqlite:///{tmp_path}/d.db")
    res = matcher.match("想办营业执照，需要准备什么材料")
    log.record(res, channel="api")
    requests, needs = log.frames()
    assert bool(requests.iloc[0]["abstained"]) == (not res.needs)
    assert len(needs) == len(res.needs)


def test_migration_links_tickets_to_requests(tmp_path):
    url = f"sqlite:///{tmp_path}/t.db"
    TicketStore(url).close()
    cols = {c["name"] for c in inspect(DemandLog(url).engine).get_columns("tickets")}
    assert "request_id" in cols
    tables = set(inspect(DemandLog(url).engine).get_table_names())
    assert {"demand_requests", "demand_needs"} <= tables


def test_demo_generator_is_seeded_and_varied():
    a = generate_requests(300, 2025, seed=3)
    b = generate_requests(300, 2025, seed=3)
    assert [(x.text, x.region, x.created_at) for x in a] == [
        (x.text, x.region, x.created_at) for x in b
    ]
    assert {x.kind for x in a} == {"regular", "hard", "not_qi"}
    months = {x.created_at.month for x in a}
    assert len(months) == 12
    provinces = {(x.region or "")[:3] for x in a}
    assert {"湖北省", "湖南省", "广东省"} <= provinces
    assert any(p in provinces for p in ("江西省", "河南省", "广西壮"))  # outside the demo catalog
    assert (
        sum("；" in x.text or "另外" in x.text or "还有" in x.text or "同时" in x.text for x in a)
        > 30
    )  # multi-need requests


def test_demo_goes_through_the_matcher(matcher, built_settings, tmp_path):
    url = f"sqlite:///{tmp_path}/demo.db"
    log = DemandLog(url)
    store = TicketStore(url, run_migrations=False)
    counts = generate_demo_log(matcher, log, store, built_settings, n=25, seed=5, progress=False)
    requests, needs = log.frames()
    assert counts["requests"] == len(requests) == 25
    assert (requests["channel"] == "demo").all()
    assert requests["index_version"].eq(matcher.index.version).all()  # really matched
    tickets = store.list(limit=500)
    assert len(tickets) == counts["tickets"] > 0
    assert {t.request_id for t in tickets} <= set(requests["request_id"])


@pytest.fixture()
def client(built_settings, matcher, tmp_path):
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0})
    app = create_app(
        s,
        matcher=matcher,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app, raise_server_exceptions=RAISE) as c:
        yield c


def test_api_records_matches_and_links_the_ticket(client):
    text, region = "想注册商标再做个团体标准", "湖南省长沙市"
    m = client.post(
        "/api/v1/match",
        json={"text": text, "region": region},
        headers={"Sec-Fetch-Site": "same-origin"},
    ).json()
    assert len(m["request_id"]) == 32
    choices = [
        {"category": b["category"], "institution_id": b["referrals"][0]["institution_id"]}
        for b in m["bundle"]
    ]
    t = client.post(
        "/api/v1/tickets", json={"text": text, "region": region, "choices": choices}, headers=CLERK
    )
    assert t.status_code == 201 and t.json()["request_id"] == m["request_id"]
    log = client.app.state.qis.extra["demand_log"]
    requests, _ = log.frames()
    assert len(requests) == 1 and requests.iloc[0]["channel"] == "console"  # counted once
    client.post("/api/v1/match", json={"text": "电热水壶要做CCC认证"})
    requests, _ = log.frames()
    assert requests["channel"].tolist() == ["console", "api"]


def test_analytics_api_is_for_analysts_only(client):
    client.post("/api/v1/match", json={"text": "压力表到期要送检", "region": "湖北省武汉市"})
    client.post("/api/v1/match", json={"text": "想办营业执照"})
    for path in (
        "/api/v1/analytics/summary",
        "/api/v1/analytics/topics",
        "/api/v1/analytics/charts/heat_unmet.png",
        "/api/v1/analytics/report.xlsx",
        "/api/v1/analytics/demand-supply",
    ):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=CLERK).status_code == 403
        assert client.get(path, headers=ADMIN).status_code == 403
    r = client.get("/api/v1/analytics/summary", headers=ANALYST)
    assert r.status_code == 200
    assert r.json()["kpis"]["requests"] == 2
    png = client.get("/api/v1/analytics/charts/trend_monthly.png", headers=ANALYST)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get("/api/v1/analytics/charts/nope.png", headers=ANALYST).status_code == 404
    x = client.get("/api/v1/analytics/report.xlsx", headers=ANALYST)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    page = client.get("/analytics")
    assert page.status_code == 200 and "需求缺口分析" in page.text


def test_empty_log_is_a_clear_404(client):
    r = client.get("/api/v1/analytics/summary", headers=ANALYST)
    assert r.status_code == 404 and "gaps --demo" in r.json()["detail"]


def test_logging_failure_never_fails_the_match(client, monkeypatch):
    from qis_match.store.demand_log import DemandLog

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DemandLog, "record", broken)
    r = client.post("/api/v1/match", json={"text": "压力表到期要送检"})
    assert r.status_code == 200 and r.json()["needs"]


def test_cli_match_log(built_settings, monkeypatch, tmp_path, capsys):
    from qis_match import cli

    db = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("QIS_HOME", str(built_settings.home))
    monkeypatch.setenv("QIS_CATALOG_DIR", str(built_settings.catalog_dir))
    monkeypatch.setenv("QIS_DATABASE_URL", db)
    assert (
        cli.main(["match", "压力表到期要送检", "--region", "湖北省武汉市", "--log", "--json"]) == 0
    )
    requests, _ = DemandLog(db).frames()
    assert requests["channel"].tolist() == ["cli"]
    assert cli.main(["match", "压力表到期要送检", "--json"]) == 0  # without --log: not recorded
    assert DemandLog(db).count() == 1


def test_ticket_api_returns_and_logs_only_redacted_text(client):
    """Issue 23: override reasons, status notes and feedback typed into the ticket API come back
    (and are logged in the demand tables) redacted, never as typed."""
    text, region = "压力表到期要送检，联系人王经理13800001234", "湖北省武汉市"
    m = client.post("/api/v1/match", json={"text": text, "region": region}).json()
    b = m["bundle"][0]
    choice = {
        "category": b["category"],
        "institution_id": b["referrals"][0]["institution_id"],
        "override_reason": "企业指定，欧阳娜娜负责，微信号：zhang_wei88",
    }
    r = client.post(
        "/api/v1/tickets", json={"text": text, "region": region, "choices": [choice]}, headers=CLERK
    )
    assert r.status_code == 201, r.text
    tid, bodies = r.json()["id"], [r.text]
    r = client.post(
        f"/api/v1/tickets/{tid}/status",
        json={"status": "已转介", "version": 1, "note": "已电话联系138.0000.1235，QQ 123456789"},
        headers=CLERK,
    )
    assert r.status_code == 200, r.text
    bodies.append(r.text)
    r = client.post(
        f"/api/v1/tickets/{tid}/feedback",
        json={
            "rating": 4,
            "comment": "身份证号440305198703150010，邮箱feedback_wang@example.com",
            "override_reason": "我叫张伟，找的老李",
        },
        headers=CLERK,
    )
    assert r.status_code == 200, r.text
    one = client.get(f"/api/v1/tickets/{tid}", headers=CLERK).text
    bodies += [r.text, one, client.get("/api/v1/tickets", headers=CLERK).text]
    requests, needs = client.app.state.qis.extra["demand_log"].frames()
    bodies += [requests.to_csv(), needs.to_csv()]
    for leak in (
        "13800001234",
        "王经理",
        "欧阳娜娜",
        "zhang_wei88",
        "138.0000.1235",
        "123456789",
        "440305198703150010",
        "feedback_wang@example.com",
        "张伟",
        "老李",
    ):
        assert all(leak not in body for body in bodies), leak
    assert "[联系人]" in one and "[身份证号]" in one and "[QQ]" in one  # stored, with placeholders
