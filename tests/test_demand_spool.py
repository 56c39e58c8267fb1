"""A database that cannot write loses no demand row and is reported by /health (issue 23).

Read-only is made with SQLite's ``PRAGMA query_only`` on every new connection: reads answer, every
write fails with "attempt to write a readonly database", as on a read-only replica.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from qis_match.pipeline import Matcher
from qis_match.store.demand_log import DemandLog, rows_from_result
from qis_match.store.demand_spool import DemandSpool
from qis_match.store.health import database_state
from qis_match.store.tickets import TicketStore, utcnow
from service.app import create_app
from service.demand_recorder import DemandRecorder
from service.security import KeyRing

KEYS = "clerk:alice:clerk-key-for-tests-0123456789,admin:root:admin-key-for-tests-0123456789"


def _read_only_switch(engine) -> dict:
    """A switch: while on, every new connection of ``engine`` refuses writes."""
    flag = {"on": False}

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        if flag["on"]:
            dbapi_conn.execute("PRAGMA query_only = ON")

    def set_(on: bool) -> None:
        flag["on"] = on
        engine.dispose()  # pooled connections were opened writable

    flag["set"] = set_
    return flag


@pytest.fixture(scope="module")
def shared_matcher(built_settings, e5_encoder):
    return Matcher(built_settings, encoder=e5_encoder)


@pytest.fixture()
def result(shared_matcher):
    return shared_matcher.match("我们厂的压力表到期了要送检", region="湖北省武汉市")


def test_health_probe_tells_read_only_from_ok(tmp_path):
    store = TicketStore(f"sqlite:///{tmp_path}/t.db")
    ro = _read_only_switch(store.engine)
    assert database_state(store.engine) == "ok"
    ro["set"](True)
    store.ping()  # a read still answers: the old probe said "ok" here
    assert database_state(store.engine) == "read-only"
    ro["set"](False)
    assert database_state(store.engine) == "ok"
    store.close()


def test_rows_wait_on_disk_and_are_written_first_when_the_database_writes(tmp_path, result):
    store = TicketStore(f"sqlite:///{tmp_path}/t.db")
    dl = DemandLog(engine=store.engine)
    ro = _read_only_switch(store.engine)
    rec = DemandRecorder(DemandSpool(tmp_path / "spool.jsonl"))
    ro["set"](True)
    assert rec.record(dl, result, channel="api", request_id="r1") == "spooled"
    assert rec.record(dl, result, channel="api", request_id="r2") == "spooled"
    assert dl.count() == 0 and rec.spool.pending() == 2
    ro["set"](False)
    assert rec.record(dl, result, channel="api", request_id="r3") == "written"
    assert dl.count() == 3 and rec.spool.pending() == 0
    assert all(dl.exists(r) for r in ("r1", "r2", "r3"))
    store.close()


def test_an_interrupted_replay_is_finished_without_counting_twice(tmp_path, result):
    dl = DemandLog(f"sqlite:///{tmp_path}/d.db")
    spool = DemandSpool(tmp_path / "spool.jsonl")
    pairs = [
        rows_from_result(result, channel="api", request_id=f"r{i}", created_at=utcnow())
        for i in range(3)
    ]
    assert spool.append(pairs)
    # a replay that wrote its rows and was killed before it removed the file
    dl.insert_rows(pairs[:2])
    (tmp_path / "spool.jsonl").rename(tmp_path / "spool.jsonl.replaying")
    assert spool.append(pairs[2:])  # appended meanwhile: a new spool file
    assert spool.pending() == 4
    # r0, r1 were in; r2 from the unfinished replay, then r2 again from the new file: skipped
    assert spool.replay(dl) == 1
    assert spool.replay(dl) == 0
    assert dl.count() == 3 and spool.pending() == 0


def test_a_full_spool_drops_and_counts(tmp_path, result):
    rec = DemandRecorder(DemandSpool(tmp_path / "spool.jsonl", max_bytes=10))
    assert rec.record(None, result, channel="api", request_id="r1") == "dropped"
    assert rec.dropped._value.get() == 1 and rec.spooled._value.get() == 0


def test_service_reports_read_only_and_keeps_the_demand(built_settings, shared_matcher, tmp_path):
    s = built_settings.model_copy(
        update={"rate_limit_per_minute": 0, "demand_spool": tmp_path / "spool.jsonl"}
    )
    store = TicketStore(f"sqlite:///{tmp_path}/t.db")
    ro = _read_only_switch(store.engine)
    app = create_app(s, matcher=shared_matcher, ticket_store=store, keys=KeyRing.parse(KEYS))
    with TestClient(app, raise_server_exceptions=False) as c:
        h = c.get("/health").json()
        assert h["database"] == "ok" and h["demand_spooled"] == 0
        ro["set"](True)
        for _ in range(2):
            assert c.post("/api/v1/match", json={"text": "压力表到期要送检"}).status_code == 200
        r = c.get("/health")
        assert r.status_code == 503 and r.json()["database"] == "read-only"
        assert r.json()["status"] == "degraded" and r.json()["demand_spooled"] == 2
        assert "qis_demand_log_spooled_total 2.0" in c.get("/metrics").text
        ro["set"](False)
        assert c.post("/api/v1/match", json={"text": "电热水壶要做CCC认证"}).status_code == 200
        h = c.get("/health").json()
        assert h["database"] == "ok" and h["demand_spooled"] == 0
        assert DemandLog(engine=store.engine).count() == 3
