"""The service serves the newest index version: an update through the API is visible to the next
request; a version published by another process (CLI build or update) is picked up without a
restart; a bad update changes nothing."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from qis_match.build import build_index
from qis_match.catalog.updates import UpdateJournal
from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.tickets import TicketStore
from qis_match.update import update_index
from service.app import create_app
from service.security import KeyRing
from tests.test_incremental_update import CAP_HEADER, INST_HEADER, NEW_INSTITUTIONS, NEW_LINES

ADMIN = {"X-API-Key": "admin-key-for-tests-0123456789"}
CLERK = {"X-API-Key": "clerk-key-for-tests-0123456789"}
KEYS = "clerk:alice:clerk-key-for-tests-0123456789,admin:root:admin-key-for-tests-0123456789"


def _csv(lines: list[str], header: str) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


@pytest.fixture()
def served(tmp_path, fixture_catalog, e5_encoder, embedding_cache_path):
    s = Settings(
        home=tmp_path / "home",
        catalog_dir=fixture_catalog,
        needs_model="retrieval",
        embedding_cache=embedding_cache_path,
        rate_limit_per_minute=0,
        index_check_seconds=0.0,
    )
    build_index(s, encoder=e5_encoder, progress=False)
    app = create_app(
        s,
        matcher=Matcher(s, encoder=e5_encoder),
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield s, c


def _ids(client, q: str, region: str = "湖北省孝感市") -> list[str]:
    r = client.get("/api/v1/search", params={"q": q, "region": region})
    assert r.status_code == 200
    return [x["resource_id"] for x in r.json()["results"]]


def test_update_through_the_api_is_visible_to_the_next_request(served):
    s, client = served
    before = client.get("/api/v1/index").json()
    assert "T-LAB-XG" not in _ids(client, "儿童玩具小零件检测")
    files = [
        ("files", ("institutions.csv", _csv(NEW_INSTITUTIONS, INST_HEADER), "text/csv")),
        ("files", ("capabilities.csv", _csv(NEW_LINES, CAP_HEADER), "text/csv")),
    ]
    assert (
        client.post("/api/v1/index/update", files=files, data={"remove": "T-LAB-WH"}, headers=CLERK)
    ).status_code == 403
    r = client.post("/api/v1/index/update", files=files, data={"remove": "T-LAB-WH"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["serving"] == body["index_version"] != before["index_version"]
    assert _ids(client, "儿童玩具小零件检测")[0] == "T-LAB-XG"
    assert "T-LAB-WH" not in _ids(client, "电热水壶泄漏电流", "湖北省武汉市")
    info = client.get("/api/v1/index").json()
    assert info["updated_from"] == before["index_version"]
    assert info["catalog_changes"][-1]["removed"] == ["T-LAB-WH"]
    # Each referral carries the versions that produced it.
    m = client.post(
        "/api/v1/match", json={"text": "儿童玩具要做小零件检测", "region": "湖北省孝感市"}
    )
    assert m.json()["index_version"] == info["index_version"]
    assert m.json()["catalog_version"] == info["catalog_version"]


def test_a_bad_update_is_rejected_with_row_and_column_and_changes_nothing(served):
    _, client = served
    before = client.get("/api/v1/index").json()["index_version"]
    bad = [NEW_LINES[0], "X009,T-LAB-XG,testing,testing.no_such_service,儿童玩具,,,,,,"]
    files = [
        ("files", ("institutions.csv", _csv(NEW_INSTITUTIONS[:1], INST_HEADER), "text/csv")),
        ("files", ("capabilities.csv", _csv(bad, CAP_HEADER), "text/csv")),
    ]
    r = client.post("/api/v1/index/update", files=files, headers=ADMIN)
    assert r.status_code == 422 and "row 3" in r.text and "sub_service" in r.text
    r = client.post("/api/v1/index/update", data={"remove": "NO-SUCH"}, headers=ADMIN)
    assert r.status_code == 422 and "unknown resource" in r.text
    assert client.get("/api/v1/index").json()["index_version"] == before


def test_a_version_published_by_another_process_is_picked_up(served, e5_encoder):
    s, client = served
    before = client.get("/api/v1/index").json()["index_version"]
    report = update_index(s, None, ["T-STD-CS"], encoder=e5_encoder)  # as `qis-match update` does
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = client.get("/api/v1/index").json()["index_version"]
        if now != before:
            break
        time.sleep(0.2)
    assert now == report.path.name
    assert "T-STD-CS" not in _ids(client, "团体标准起草", "湖南省长沙市")


def test_an_update_upload_with_a_very_long_filename_is_a_clear_422(served):
    # saved under the name the client gave, a 300-character one was ENAMETOOLONG (a reset/500)
    s, client = served
    before = client.get("/api/v1/index").json()["index_version"]
    for name in ("x" * 300 + ".csv", "目录" * 148 + ".xlsx"):
        r = client.post(
            "/api/v1/index/update",
            files=[("files", (name, b"not a catalog", "application/octet-stream"))],
            headers=ADMIN,
        )
        assert r.status_code == 422, (name[:10], r.status_code, r.text[:200])
    assert (
        "…"
        in client.post(
            "/api/v1/index/update", files=[("files", ("y" * 300 + ".csv", b"a,b\n"))], headers=ADMIN
        ).json()["detail"]
    )  # the name is quoted shortened
    assert client.get("/api/v1/index").json()["index_version"] == before
    assert UpdateJournal(s.catalog_updates_dir).entries() == []


def test_api_updates_are_journaled_and_a_rejected_one_is_not(served):
    s, client = served
    bad = [NEW_LINES[0], "X009,T-LAB-XG,testing,testing.no_such_service,儿童玩具,,,,,,"]
    files = [
        ("files", ("institutions.csv", _csv(NEW_INSTITUTIONS[:1], INST_HEADER), "text/csv")),
        ("files", ("capabilities.csv", _csv(bad, CAP_HEADER), "text/csv")),
    ]
    assert client.post("/api/v1/index/update", files=files, headers=ADMIN).status_code == 422
    assert UpdateJournal(s.catalog_updates_dir).entries() == []
    r = client.post("/api/v1/index/update", data={"remove": "T-STD-CS"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    (entry,) = UpdateJournal(s.catalog_updates_dir).entries()
    assert entry.removed == ["T-STD-CS"] and entry.catalog is None
