"""Issue 22 (soak): the analyst's jobs run in a process of their own, so an export cannot stall the
matches; a dead or slow worker is a clear 503/504 and the next request recovers; the worker is
replaced after its job budget; without the worker the same jobs run in the service."""

from __future__ import annotations

import os
import signal
import time

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from qis_match.store.demand_log import DemandLog
from qis_match.store.tickets import TicketStore
from service.analytics_worker import InProcess, WorkerProcess, make_runner
from service.app import create_app
from service.security import KeyRing

ANALYST = {"X-API-Key": "analyst-key-for-tests-0123456789"}
KEYS = "analyst:ann:analyst-key-for-tests-0123456789"
REQUESTS = [
    ("压力表到期要送检", "湖北省武汉市"),
    ("电热水壶要做CCC认证", "湖南省长沙市"),
    ("想注册商标再做个团体标准", "湖南省长沙市"),
]


def _client(settings, matcher, db_url: str, **update):
    s = settings.model_copy(update={"rate_limit_per_minute": 0, **update})
    app = create_app(s, matcher=matcher, ticket_store=TicketStore(db_url), keys=KeyRing.parse(KEYS))
    return TestClient(app, raise_server_exceptions=False)


def _fill(c: TestClient) -> None:
    for text, region in REQUESTS:
        assert c.post("/api/v1/match", json={"text": text, "region": region}).status_code == 200


def _runner(c: TestClient):
    return c.app.state.qis.extra["analytics"][1]


def _wait_for_pid(runner: WorkerProcess, old: set[int] = frozenset()) -> int:
    for _ in range(100):
        new = set(runner.pids()) - set(old)
        if new:
            return new.pop()
        time.sleep(0.05)
    raise AssertionError("no analytics process")


def test_exports_run_in_another_process_which_is_replaced_after_its_budget(
    built_settings, matcher, tmp_path
):
    with _client(
        built_settings, matcher, f"sqlite:///{tmp_path}/t.db", analytics_worker_max_jobs=2
    ) as c:
        _fill(c)
        x = c.get("/api/v1/analytics/report.xlsx", params={"province": "all"}, headers=ANALYST)
        assert x.status_code == 200 and x.content[:2] == b"PK"
        runner = _runner(c)
        assert isinstance(runner, WorkerProcess)
        first = _wait_for_pid(runner)
        assert first != os.getpid()
        assert runner.settings.api_keys == ""  # no key is handed to the worker
        summary = c.get("/api/v1/analytics/summary", headers=ANALYST).json()
        assert summary["kpis"]["requests"] == len(REQUESTS)  # the worker reads the service's log
        # two jobs done: the next one is served by a fresh process
        assert c.get("/api/v1/analytics/topics", headers=ANALYST).status_code == 200
        assert _wait_for_pid(runner, {first}) != first
    assert runner._pool is None  # stopped with the service


def test_a_killed_worker_is_a_clear_503_and_the_next_request_recovers(
    built_settings, matcher, tmp_path
):
    with _client(built_settings, matcher, f"sqlite:///{tmp_path}/t.db") as c:
        _fill(c)
        assert c.get("/api/v1/analytics/summary", headers=ANALYST).status_code == 200
        pid = _wait_for_pid(_runner(c))
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):  # the pool notices the death on its own thread
            if _runner(c)._pool is None or _runner(c)._pool._broken:
                break
            time.sleep(0.05)
        r = c.get("/api/v1/analytics/summary", headers=ANALYST)
        assert r.status_code == 503 and "analytics process" in r.json()["detail"]
        r = c.get("/api/v1/analytics/summary", headers=ANALYST)
        assert r.status_code == 200 and r.json()["kpis"]["requests"] == len(REQUESTS)


def test_a_slow_analysis_is_a_504_not_a_hung_request(built_settings, matcher, tmp_path):
    # the worker needs seconds just to start: 50 ms is always too short
    with _client(
        built_settings, matcher, f"sqlite:///{tmp_path}/t.db", analytics_timeout_seconds=0.05
    ) as c:
        _fill(c)
        r = c.get("/api/v1/analytics/report.xlsx", headers=ANALYST)
        assert r.status_code == 504 and "longer than 0.05 s" in r.json()["detail"]


def test_without_a_worker_the_same_jobs_run_in_the_service(built_settings, matcher, tmp_path):
    with _client(
        built_settings, matcher, f"sqlite:///{tmp_path}/t.db", analytics_worker=False
    ) as c:
        _fill(c)
        r = c.get("/api/v1/analytics/summary", headers=ANALYST)
        assert r.status_code == 200 and r.json()["kpis"]["requests"] == len(REQUESTS)
        assert isinstance(_runner(c), InProcess)
        r = c.get("/api/v1/analytics/charts/nope.png", headers=ANALYST)
        assert r.status_code == 404 and "heat_unmet" in r.json()["detail"]


def test_a_database_in_memory_is_analysed_in_the_service(built_settings):
    """Another process would open an empty database of its own."""
    memory = DemandLog(engine=create_engine("sqlite://"))
    assert isinstance(make_runner(built_settings, memory, lambda: None, lambda: None), InProcess)
    on_disk = DemandLog(engine=create_engine("sqlite:////tmp/x.db"))
    assert isinstance(
        make_runner(built_settings, on_disk, lambda: None, lambda: None), WorkerProcess
    )
