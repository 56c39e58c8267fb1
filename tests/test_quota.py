"""Per-client daily quotas on the public API (issue 22): beyond the per-minute rate limit, a
client gets ``daily_quota`` requests a UTC day, then a clear 429 with Retry-After until midnight;
a made-up key does not buy a fresh quota; clients with a known key are not counted (or have a
bound of their own); the next day the quota is whole again."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import service.quota
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.quota import DAY, DailyCounts
from service.security import KeyRing

CLERK_KEY = "clerk-key-for-quota-tests-0123456"
KEYS = KeyRing.parse(f"clerk:alice:{CLERK_KEY},admin:bob:admin-key-for-quota-tests-012345")
MATCH = {"text": "压力表到期要送检", "region": "湖北省武汉市"}
T0 = 20_000 * DAY + 3600.0  # 01:00 UTC on some day


@pytest.fixture()
def clock(monkeypatch):
    now = [T0]
    monkeypatch.setattr(service.quota, "_now", lambda: now[0])
    return now


def _client(built_settings, matcher, tmp_path, **update):
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0, **update})  # unless given
    app = create_app(
        s, matcher=matcher, ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"), keys=KEYS
    )
    return TestClient(app, raise_server_exceptions=False)


def _refused(r, limit: int, until_midnight: float) -> None:
    assert r.status_code == 429, (r.status_code, r.text)
    body = r.json()
    assert body["code"] == "daily_quota" and body["limit"] == limit
    assert f"daily quota of {limit} requests" in body["detail"] and "00:00 UTC" in body["detail"]
    assert int(r.headers["Retry-After"]) == int(until_midnight) + 1


@pytest.mark.parametrize("per_minute", [0, 6000], ids=["rate-limit-off", "rate-limit-on"])
def test_public_clients_get_their_daily_quota_then_429(
    per_minute, built_settings, matcher, tmp_path, clock
):
    """With the rate limit on, the quota takes the client the rate limit identified."""
    update = {"daily_quota": 4, "rate_limit_per_minute": per_minute, "rate_limit_cost_seconds": 0}
    with _client(built_settings, matcher, tmp_path, **update) as c:
        got = [c.post("/api/v1/match", json=MATCH).status_code for _ in range(2)]
        got += [c.get("/api/v1/search", params={"q": "压力表"}).status_code for _ in range(2)]
        assert got == [200, 200, 200, 200]
        # match, search and any other /api/ request share the one quota
        _refused(c.post("/api/v1/match", json=MATCH), 4, DAY - 3600)
        _refused(c.get("/api/v1/search", params={"q": "压力表"}), 4, DAY - 3600)
        _refused(c.get("/api/v1/kinds"), 4, DAY - 3600)
        # a made-up key is the same client (its address), not a fresh quota
        r = c.post("/api/v1/match", json=MATCH, headers={"X-API-Key": "made-up-key-0123456789"})
        _refused(r, 4, DAY - 3600)
        # monitoring is never counted
        assert c.get("/health").status_code == 200
        # staff with a known key are not counted against the public quota
        for _ in range(6):
            r = c.post("/api/v1/match", json=MATCH, headers={"X-API-Key": CLERK_KEY})
            assert r.status_code == 200
        assert c.get("/api/v1/tickets", headers={"X-API-Key": CLERK_KEY}).status_code == 200
        # later that day: still refused, Retry-After shorter
        clock[0] = T0 + 10 * 3600
        _refused(c.post("/api/v1/match", json=MATCH), 4, DAY - 11 * 3600)
        # the next UTC day the quota is whole again
        clock[0] = T0 + DAY
        assert [c.post("/api/v1/match", json=MATCH).status_code for _ in range(4)] == [200] * 4
        _refused(c.post("/api/v1/match", json=MATCH), 4, DAY - 3600)


def test_known_keys_can_have_a_bound_of_their_own(built_settings, matcher, tmp_path, clock):
    with _client(built_settings, matcher, tmp_path, daily_quota=2, daily_quota_keyed=3) as c:
        key = {"X-API-Key": CLERK_KEY}
        assert [c.post("/api/v1/match", json=MATCH, headers=key).status_code for _ in range(3)] == [
            200
        ] * 3
        _refused(c.post("/api/v1/match", json=MATCH, headers=key), 3, DAY - 3600)
        # each key holder counts alone, and the public quota is separate
        admin = {"X-API-Key": "admin-key-for-quota-tests-012345"}
        assert c.post("/api/v1/match", json=MATCH, headers=admin).status_code == 200
        assert c.post("/api/v1/match", json=MATCH).status_code == 200


def test_quota_off_and_default(built_settings, matcher, tmp_path, clock, monkeypatch):
    with _client(built_settings, matcher, tmp_path, daily_quota=0) as c:
        assert all(c.get("/api/v1/kinds").status_code == 200 for _ in range(30))
    from qis_match.settings import Settings

    assert Settings().daily_quota == 2000 and Settings().daily_quota_keyed == 0
    monkeypatch.setenv("QIS_DAILY_QUOTA", "50")
    monkeypatch.setenv("QIS_DAILY_QUOTA_KEYED", "7")
    assert Settings().daily_quota == 50 and Settings().daily_quota_keyed == 7


def test_daily_counts_forget_yesterday():
    now = [T0]
    counts = DailyCounts(lambda: now[0])
    for i in range(100):
        assert counts.take(f"a:10.0.0.{i}", 1) == 0
    assert counts.take("a:10.0.0.1", 1) == DAY - 3600
    now[0] += DAY
    assert counts.take("a:10.0.0.1", 1) == 0 and len(counts._counts) == 1


def test_the_openapi_schema_declares_the_429_the_middleware_sends(
    built_settings, matcher, tmp_path, clock
):
    """Clients generated from the schema must know the 429 and its body (code, limit)."""
    with _client(built_settings, matcher, tmp_path, daily_quota=1) as c:
        spec = c.get("/openapi.json").json()
        for path, ops in spec["paths"].items():
            for op in ops.values():
                assert ("429" in op["responses"]) == path.startswith("/api/"), path
        declared = spec["paths"]["/api/v1/match"]["post"]["responses"]["429"]
        props = declared["content"]["application/json"]["schema"]["properties"]
        c.post("/api/v1/match", json=MATCH)
        r = c.post("/api/v1/match", json=MATCH)
        assert r.status_code == 429 and set(r.json()) <= set(props)
        assert "Retry-After" in declared["headers"] and "retry-after" in r.headers
