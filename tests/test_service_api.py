"""Every API endpoint, including auth failures and bad input: clear 4xx, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qis_match.pipeline import Matcher
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing

CLERK = {"X-API-Key": "clerk-key-for-tests-0123456789"}
ADMIN = {"X-API-Key": "admin-key-for-tests-0123456789"}
ANALYST = {"X-API-Key": "analyst-key-for-tests-0123456789"}
KEYS = "clerk:alice:clerk-key-for-tests-0123456789,admin:root:admin-key-for-tests-0123456789,analyst:ann:analyst-key-for-tests-0123456789"


@pytest.fixture(scope="module")
def shared_matcher(built_settings, e5_encoder):
    return Matcher(built_settings, encoder=e5_encoder)


@pytest.fixture()
def client(built_settings, shared_matcher, tmp_path):
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0})
    app = create_app(
        s,
        matcher=shared_matcher,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _ticket(client, text="想注册商标再做个团体标准", region="湖南省长沙市", headers=CLERK):
    m = client.post("/api/v1/match", json={"text": text, "region": region}).json()
    choices = [
        {"category": b["category"], "institution_id": b["referrals"][0]["institution_id"]}
        for b in m["bundle"]
    ]
    return client.post(
        "/api/v1/tickets",
        json={"text": text, "region": region, "choices": choices},
        headers=headers,
    )


# --- public endpoints


def test_match(client):
    r = client.post(
        "/api/v1/match",
        json={"text": "想注册商标再做个团体标准", "region": "湖南省长沙市", "top_k": 3},
    )
    assert r.status_code == 200
    d = r.json()
    assert {n["category"] for n in d["needs"]} == {"ip", "standards"} and len(d["bundle"]) == 2
    assert len(d["referrals"]) <= 3 and d["entities"]["city"] == "长沙市"


def test_match_returns_status_and_route(client):
    r = client.post("/api/v1/match", json={"text": "个体户的营业执照地址要变更"})
    assert r.status_code == 200
    body = r.json()
    assert body["needs"] == [] and body["route"]["code"] == "registration"
    assert body["route"]["hotline"] == "12345" and body["route"]["reason"]
    r = client.post("/api/v1/match", json={"text": "只做产品检测，暂不考虑做认证"}).json()
    assert [n["category"] for n in r["needs"]] == ["testing"]
    assert [(n["category"], n["status"]) for n in r["needs_not_wanted"]] == [
        ("certification", "declined")
    ]


def test_match_with_filters(client):
    r = client.post(
        "/api/v1/match", json={"text": "电热水壶泄漏电流检测", "filters": {"province": "湖北省"}}
    )
    assert r.status_code == 200 and all(x["province"] == "湖北省" for x in r.json()["referrals"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "压" * 2001},
        {"text": "压力表", "top_k": 0},
        {"text": "压力表", "top_k": 1000},
        {"text": "压力表", "unexpected": 1},
        {"text": 12345},
        {"text": "压力表", "filters": {"categories": ["nonsense"]}},
    ],
)
def test_match_bad_input_is_422(client, body):
    assert client.post("/api/v1/match", json=body).status_code == 422


def test_match_unknown_region_and_malformed_json(client):
    r = client.post("/api/v1/match", json={"text": "压力表送检", "region": "火星市"})
    assert r.status_code == 422 and "unknown region" in r.json()["detail"]
    r = client.post(
        "/api/v1/match", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_search_with_words_and_with_filters_only(client):
    r = client.get(
        "/api/v1/search", params={"q": "电热水壶 泄漏电流", "region": "湖北省武汉市", "top_k": 3}
    )
    assert r.status_code == 200 and r.json()["results"][0]["institution_id"] == "T-LAB-WH"
    r = client.get("/api/v1/search", params={"category": "metrology", "province": "湖南省"})
    assert r.status_code == 200
    assert [x["institution_id"] for x in r.json()["results"]] == ["T-MET-CS"]
    r = client.get("/api/v1/search", params={"q": "压力表", "discount": "true", "online": "false"})
    assert r.status_code == 200 and all(x["small_business_discount"] for x in r.json()["results"])
    assert client.get("/api/v1/search", params={"category": "bogus"}).status_code == 422


def test_institution_detail(client):
    r = client.get("/api/v1/institutions/T-MET-WH")
    assert r.status_code == 200
    d = r.json()
    assert (
        d["name"] == "武汉市测试计量所（测试）"
        and len(d["capabilities"]) == 3
        and d["categories"] == ["metrology"]
    )
    assert client.get("/api/v1/institutions/NOPE").status_code == 404


def test_health_metrics_openapi(client):
    h = client.get("/health")
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["database"] == "ok"
    client.post("/api/v1/match", json={"text": "压力表送检"})
    m = client.get("/metrics")
    assert (
        m.status_code == 200
        and 'qis_http_requests_total{method="POST",route="/api/v1/match",status="200"}' in m.text
    )
    spec = client.get("/openapi.json").json()
    assert {
        "/api/v1/match",
        "/api/v1/search",
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}/status",
    } <= set(spec["paths"])


# --- tickets: auth


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, 401),
        ({"X-API-Key": "wrong-key-wrong-key-wrong"}, 401),
        ({"X-API-Key": ""}, 401),
        (ANALYST, 403),
    ],
)
def test_ticket_endpoints_refuse_missing_wrong_and_wrong_role_keys(client, headers, code):
    assert _ticket(client, headers=headers).status_code == code
    assert client.get("/api/v1/tickets", headers=headers).status_code == code
    assert client.get("/api/v1/tickets/overdue", headers=headers).status_code == code
    assert client.get("/api/v1/tickets/1", headers=headers).status_code == code
    assert (
        client.post(
            "/api/v1/tickets/1/status", json={"status": "已转介", "version": 1}, headers=headers
        ).status_code
        == code
    )
    assert (
        client.post("/api/v1/tickets/1/feedback", json={"rating": 5}, headers=headers).status_code
        == code
    )
    files = {"files": ("institutions.csv", b"x", "text/csv")}
    assert client.post("/api/v1/catalog/validate", files=files, headers=headers).status_code == code


# --- tickets: lifecycle


def test_ticket_lifecycle(client):
    r = _ticket(client)
    assert r.status_code == 201
    t = r.json()
    assert (
        t["status"] == "受理"
        and t["next_status"] == "已转介"
        and not t["overdue"]
        and t["created_by"] == "alice"
    )
    assert {x["category"] for x in t["referrals"]} == {"ip", "standards"} and all(
        x["rank"] == 1 for x in t["referrals"]
    )
    for version, status in enumerate(["已转介", "机构已受理", "办结", "已回访"], start=1):
        r = client.post(
            f"/api/v1/tickets/{t['id']}/status",
            json={"status": status, "version": version},
            headers=ADMIN,
        )
        assert r.status_code == 200 and r.json()["status"] == status
    assert [e["actor"] for e in r.json()["events"]] == ["alice", "root", "root", "root", "root"]
    r = client.post(
        f"/api/v1/tickets/{t['id']}/feedback",
        json={"rating": 5, "institution_used": "T-IP-WH"},
        headers=CLERK,
    )
    assert r.status_code == 200 and r.json()["feedback"][0]["rating"] == 5
    listing = client.get("/api/v1/tickets", params={"status": "已回访"}, headers=CLERK).json()
    assert [x["id"] for x in listing["tickets"]] == [t["id"]] and listing["counts"]["已回访"] == 1
    assert client.get("/api/v1/tickets/overdue", headers=CLERK).json()["tickets"] == []


def test_ticket_conflicts_and_bad_transitions(client):
    t = _ticket(client).json()
    url = f"/api/v1/tickets/{t['id']}/status"
    assert (
        client.post(url, json={"status": "已转介", "version": 1}, headers=CLERK).status_code == 200
    )
    r = client.post(url, json={"status": "机构已受理", "version": 1}, headers=CLERK)
    assert r.status_code == 409 and "changed meanwhile" in r.json()["detail"]
    r = client.post(url, json={"status": "已回访", "version": 2}, headers=CLERK)
    assert r.status_code == 409 and "next status" in r.json()["detail"]
    assert client.post(url, json={"status": "done", "version": 2}, headers=CLERK).status_code == 422
    assert (
        client.post(
            "/api/v1/tickets/424242/status", json={"status": "已转介", "version": 1}, headers=CLERK
        ).status_code
        == 404
    )
    assert client.get("/api/v1/tickets/424242", headers=CLERK).status_code == 404
    assert (
        client.get("/api/v1/tickets", params={"status": "nope"}, headers=CLERK).status_code == 422
    )
    r = client.post(f"/api/v1/tickets/{t['id']}/feedback", json={"rating": 6}, headers=CLERK)
    assert r.status_code == 422


def test_overriding_the_ranking_needs_a_reason(client):
    m = client.post(
        "/api/v1/match", json={"text": "电热水壶要做泄漏电流检测", "region": "广东省深圳市"}
    ).json()
    second = m["bundle"][0]["referrals"][1]["institution_id"]
    body = {
        "text": "电热水壶要做泄漏电流检测",
        "region": "广东省深圳市",
        "choices": [{"category": "testing", "institution_id": second}],
    }
    r = client.post("/api/v1/tickets", json=body, headers=CLERK)
    assert r.status_code == 422 and "override_reason" in r.json()["detail"]
    body["choices"][0]["override_reason"] = "企业指定的老合作机构"
    r = client.post("/api/v1/tickets", json=body, headers=CLERK)
    assert r.status_code == 201
    ref = r.json()["referrals"][0]
    assert (
        ref["rank"] == 2
        and ref["override_reason"] == "企业指定的老合作机构"
        and ref["top_institution_id"] != second
    )
    body["choices"][0]["institution_id"] = "NOT-AN-INSTITUTION"
    assert client.post("/api/v1/tickets", json=body, headers=CLERK).status_code == 422


# --- catalog upload validation


def test_catalog_validate_reports_rows(client, fixture_catalog):
    inst = (fixture_catalog / "institutions.csv").read_bytes()
    caps = (
        (fixture_catalog / "capabilities.csv")
        .read_text(encoding="utf-8")
        .replace("metrology.verification", "metrology.nope", 1)
    )
    files = [
        ("files", ("institutions.csv", inst, "text/csv")),
        ("files", ("capabilities.csv", caps.encode(), "text/csv")),
    ]
    r = client.post("/api/v1/catalog/validate", files=files, headers=CLERK)
    assert r.status_code == 200
    d = r.json()
    assert d["valid_institutions"] == 12 and d["valid_lines"] == 27
    assert d["issues"] == [
        {
            "file": "capabilities.csv",
            "row": 2,
            "column": "sub_service",
            "message": "unknown sub-service code 'metrology.nope'",
        }
    ]
    r = client.post(
        "/api/v1/catalog/validate",
        files=[("files", ("evil.sh", b"rm -rf /", "text/plain"))],
        headers=CLERK,
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/catalog/validate",
        files=[("files", ("institutions.csv", inst, "text/csv"))],
        headers=CLERK,
    )
    assert r.status_code == 422 and "capabilities" in r.json()["detail"]


def test_catalog_upload_with_a_very_long_filename_is_a_clear_422(client):
    # a 300-character name once reached the filesystem as given: ENAMETOOLONG, a 500
    long_xlsx = "目录" * 148 + ".xlsx"
    r = client.post(
        "/api/v1/catalog/validate",
        files=[("files", (long_xlsx, b"not a workbook", "application/octet-stream"))],
        headers=CLERK,
    )
    assert r.status_code == 422, r.text
    long_csv = "x" * 300 + ".csv"
    r = client.post(
        "/api/v1/catalog/validate",
        files=[("files", (long_csv, b"a,b\n", "text/csv"))],
        headers=CLERK,
    )
    assert r.status_code == 422 and "…" in r.json()["detail"]  # the name is quoted shortened


def test_a_gb18030_json_body_is_read_with_its_charset(client):
    body = '{"text": "我们厂的压力表到期了要送检"}'.encode("gb18030")
    r = client.post(
        "/api/v1/match",
        content=body,
        headers={**CLERK, "Content-Type": "application/json; charset=GB18030"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["needs"][0]["category"] == "metrology"
    gbk = client.post(
        "/api/v1/match",
        content=body,
        headers={**CLERK, "Content-Type": "application/json; charset=gbk"},
    )
    assert gbk.status_code == 200
    # a body that is not what its header says, and a charset we do not read: clear 4xx
    bad = client.post(
        "/api/v1/match",
        content=b'{"text": "\xff\xff\xff"}',
        headers={**CLERK, "Content-Type": "application/json; charset=gb18030"},
    )
    assert bad.status_code == 400 and "gb18030" in bad.json()["detail"]
    odd = client.post(
        "/api/v1/match",
        content=body,
        headers={**CLERK, "Content-Type": "application/json; charset=x-unknown-7"},
    )
    assert odd.status_code == 415


# --- limits


def test_service_start_removes_leftovers_of_killed_builds(built_settings, shared_matcher, tmp_path):
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = built_settings.index_root / f".building-{int(gone.stdout)}-0badf00d"
    dead.mkdir()
    app = create_app(
        built_settings,
        matcher=shared_matcher,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app):
        assert not dead.exists()


def test_rate_limit_answers_429_with_retry_after(built_settings, shared_matcher, tmp_path):
    # Counted only (cost off): this test counts requests; charging by cost is
    # tests/test_client_identity.py.
    s = built_settings.model_copy(update={"rate_limit_per_minute": 6, "rate_limit_cost_seconds": 0})
    app = create_app(
        s,
        matcher=shared_matcher,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app) as c:
        codes = [c.get("/api/v1/institutions/T-MET-WH").status_code for _ in range(10)]
        assert codes[:3] == [200, 200, 200] and 429 in codes
        r = c.get("/api/v1/institutions/T-MET-WH")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert c.get("/health").status_code == 200  # monitoring is exempt
        # another client (its own key) has its own budget
        assert c.get("/api/v1/institutions/T-MET-WH", headers=CLERK).status_code == 200


def test_huge_body_is_413(client):
    r = client.post(
        "/api/v1/match", content=b"x" * 3_000_000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_no_index_and_no_database_are_503(tmp_path):
    from qis_match.settings import Settings

    s = Settings(
        home=tmp_path,
        database_url="postgresql+psycopg://nobody:nothing@127.0.0.1:1/none",
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(s, keys=KeyRing.parse(KEYS)), raise_server_exceptions=False) as c:
        assert c.post("/api/v1/match", json={"text": "压力表送检"}).status_code == 503
        assert (
            "qis-match build"
            in c.post("/api/v1/match", json={"text": "压力表送检"}).json()["detail"]
        )
        assert c.get("/api/v1/tickets", headers=CLERK).status_code == 503
        h = c.get("/health")
        assert h.status_code == 503 and h.json()["database"] == "unavailable"


def test_pages_have_security_headers_and_times_say_utc(client):
    r = client.get("/console")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert (
        r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    )
    t = _ticket(client).json()
    assert (
        t["created_at"].endswith("Z")
        and t["deadline"].endswith("Z")
        and t["events"][0]["at"].endswith("Z")
    )
    r = client.post(
        f"/api/v1/tickets/{t['id']}/status", json={"status": "办结", "version": 1}, headers=CLERK
    )
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


def test_resources_endpoint_search_by_type_and_tickets_for_experts(client):
    r = client.get("/api/v1/resources/Q-GCMS-WH")
    assert (
        r.status_code == 200
        and r.json()["resource_type"] == "instrument"
        and r.json()["institution_id"] == "T-LAB-WH"
    )
    assert client.get("/api/v1/resources/NOPE").status_code == 404
    assert client.get("/api/v1/institutions/Q-GCMS-WH").status_code == 404  # not an institution
    r = client.get("/api/v1/search", params={"q": "质量诊断", "resource_type": "expert"})
    assert (
        r.status_code == 200
        and r.json()["results"]
        and all(x["resource_type"] == "expert" for x in r.json()["results"])
    )
    assert client.get("/api/v1/search", params={"resource_type": "robot"}).status_code == 422
    text = "产品返修率高，想请专家诊断，再找实验室复测"
    m = client.post("/api/v1/match", json={"text": text, "region": "湖北省武汉市"}).json()
    choices = [
        {"category": b["category"], "institution_id": b["referrals"][0]["resource_id"]}
        for b in m["bundle"]
    ]
    r = client.post(
        "/api/v1/tickets",
        json={"text": text, "region": "湖北省武汉市", "choices": choices},
        headers=CLERK,
    )
    assert r.status_code == 201
    refs = {x["category"]: x for x in r.json()["referrals"]}
    assert (
        refs["quality"]["resource_type"] == "expert"
        and refs["quality"]["snapshot"]["details"]["title"]
    )
    assert (
        refs["testing"]["resource_type"] == "institution" and refs["testing"]["snapshot"]["phone"]
    )
