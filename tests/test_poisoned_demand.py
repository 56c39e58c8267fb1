"""Poisoned demand (issue 22): one client flooding the public match API cannot invent unmet
demand. The flood is kept in the log (nothing is lost) but not counted, and the analyses say how
much they left out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from qis_match.analytics.analysis import analyse
from qis_match.store.demand_log import DemandLog, Exclusion, new_request_id, rows_from_result
from qis_match.store.tickets import TicketStore, utcnow
from service.app import create_app
from service.security import KeyRing

ANALYST = {"X-API-Key": "analyst-key-for-tests-0123456789"}
KEYS = "analyst:ann:analyst-key-for-tests-0123456789"
UNMET = "我们的燕窝想做唾液酸含量检测，哪里可以做"  # an unmet need in the fixture catalog
OTHERS = [
    "压力表到期要送检",
    "电热水壶要做CCC认证",
    "想注册商标再做个团体标准",
    "帮我查下社保怎么补缴",
]
FIGURES = ("requests", "needs", "unmet_requests", "unmet_needs", "abstained", "flagged_requests")


def _log(tmp_path, name):
    return DemandLog(f"sqlite:///{tmp_path}/{name}.db", exclusion=Exclusion(burst_max=30))


def _rows(result, source, at):
    return rows_from_result(
        result, channel="api", request_id=new_request_id(), created_at=at, source=source
    )


def _figures(settings, log):
    a = analyse(settings, log, encoder=None, province="all")
    return {k: a.kpis[k] for k in FIGURES}, a.kpis


@pytest.fixture(scope="module")
def results(matcher):
    return {t: matcher.match(t, "湖南省长沙市") for t in [UNMET, *OTHERS]}


def test_a_flood_of_10000_identical_requests_moves_no_figure(results, built_settings, tmp_path):
    now = utcnow()
    honest = [
        _rows(results[t], f"client-{i}", now - timedelta(minutes=i)) for i, t in enumerate(OTHERS)
    ]
    first = _rows(results[UNMET], "flooder", now - timedelta(minutes=10))
    base, flooded = _log(tmp_path, "base"), _log(tmp_path, "flooded")
    base.insert_rows([*honest, first])
    flood = [_rows(results[UNMET], "flooder", now - timedelta(seconds=i)) for i in range(9_999)]
    flooded.insert_rows([*honest, first, *flood])
    assert flooded.count() == 10_004  # kept: nothing is lost
    (before, _), (after, kpis) = _figures(built_settings, base), _figures(built_settings, flooded)
    assert after == before  # no unmet-demand figure moved
    assert kpis["excluded_requests"] == 9_999 and kpis["excluded_repeat"] == 9_999
    # the analyses never read the flood into memory: it is counted in the database
    assert len(flooded.frames(counted_only=True)[0]) == 5
    assert flooded.excluded_counts() == {"repeat": 9_999}


def test_a_burst_of_different_texts_from_one_source_is_not_counted(
    results, built_settings, tmp_path
):
    log = _log(tmp_path, "burst")
    now = utcnow()
    texts = [f"{UNMET}，批次{i}" for i in range(100)]  # every text different
    res = results[UNMET]
    pairs = []
    for i, t in enumerate(texts):
        pairs.append(_rows(res, "burster", now + timedelta(seconds=i)))
        pairs[-1][0]["text"] = t
        pairs[-1][0]["text_key"] = None  # keyed from the text at insert
    log.insert_rows(pairs)
    _, kpis = _figures(built_settings, log)
    assert kpis["requests"] == 30 and kpis["excluded_burst"] == 70
    # without a source (CLI, demo, imports) nothing is excluded
    quiet = _log(tmp_path, "quiet")
    quiet.insert_rows([_rows(res, None, now + timedelta(seconds=i)) for i in range(50)])
    assert _figures(built_settings, quiet)[1]["excluded_requests"] == 0


def test_the_api_keeps_a_repeated_text_out_of_the_figures_and_says_so(
    built_settings, matcher, tmp_path
):
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0})
    app = create_app(
        s,
        matcher=matcher,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app) as c:
        for _ in range(5):
            assert c.post("/api/v1/match", json={"text": UNMET}).status_code == 200
        c.post("/api/v1/match", json={"text": OTHERS[0]})
        kpis = c.get(
            "/api/v1/analytics/summary", params={"province": "all"}, headers=ANALYST
        ).json()["kpis"]
    assert kpis["requests"] == 2 and kpis["excluded_requests"] == 4
    secret = s.home / "demand-secret"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"


def test_each_logged_request_reads_an_index_range_not_the_whole_window(tmp_path):
    """The soak found matches slowing down as the log grew: the repeat check read every row of
    its source in the 24-hour window. Each per-request lookup must be an index search."""
    from sqlalchemy import text

    log = _log(tmp_path, "plans")
    now = utcnow()
    repeat, burst = log.exclusion.lookups("a-source", "a" * 32, now)
    queries = {"repeat": repeat, "burst": burst}
    plans = {}
    with log.engine.connect() as conn:
        for name, q in queries.items():
            sql = str(q.compile(log.engine, compile_kwargs={"literal_binds": True}))
            plans[name] = " | ".join(r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    for name, plan in plans.items():
        assert "SEARCH demand_requests USING" in plan, (name, plan)
        assert "SCAN demand_requests" not in plan, (name, plan)
    assert "ix_demand_requests_source_key_created" in plans["repeat"]
