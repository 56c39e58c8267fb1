"""A ticket is made from the match the clerk saw (issue 18): by its request id, without
matching again; a different text or region, or an unknown id, is matched afresh."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qis_match.pipeline import Matcher
from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.security import KeyRing
from service.ticketing import MatchMemory

CLERK = {"X-API-Key": "clerk-key-for-tests-0123456789"}
KEYS = "clerk:alice:clerk-key-for-tests-0123456789"
TEXT, REGION = "压力表到期要送检", "湖北省武汉市"


class CountingMatcher(Matcher):
    """The fixture index's matcher, counting its matches."""

    calls = 0

    def match(self, *a, **kw):
        type(self).calls += 1
        return super().match(*a, **kw)


@pytest.fixture()
def client(built_settings, e5_encoder, tmp_path):
    s = built_settings.model_copy(update={"rate_limit_per_minute": 0, "demand_log": False})
    m = CountingMatcher(s, encoder=e5_encoder)
    app = create_app(
        s,
        matcher=m,
        ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"),
        keys=KeyRing.parse(KEYS),
    )
    with TestClient(app) as c:
        yield c


def _ticket(client, shown, **override):
    body = {
        "text": TEXT,
        "region": REGION,
        "request_id": shown["request_id"],
        "choices": [
            {"category": b["category"], "institution_id": b["referrals"][0]["resource_id"]}
            for b in shown["bundle"]
        ],
        **override,
    }
    return client.post("/api/v1/tickets", json=body, headers=CLERK)


def test_the_ticket_reuses_the_match_the_clerk_saw(client):
    shown = client.post("/api/v1/match", json={"text": TEXT, "region": REGION}).json()
    assert shown["request_id"] and CountingMatcher.calls
    before = CountingMatcher.calls
    r = _ticket(client, shown)
    assert r.status_code == 201, r.text
    assert CountingMatcher.calls == before  # not matched again
    assert r.json()["referrals"][0]["rank"] == 1


def test_another_text_region_or_id_is_matched_again(client):
    shown = client.post("/api/v1/match", json={"text": TEXT, "region": REGION}).json()
    for override in (
        {"region": "湖南省长沙市"},
        {"text": TEXT + "，要加急"},
        {"request_id": "0" * 32},
    ):
        before = CountingMatcher.calls
        r = _ticket(client, shown, **override)
        assert r.status_code in (201, 422), r.text  # a changed request may rank differently
        assert CountingMatcher.calls == before + 1, override


def test_memory_is_bounded_and_expires():
    mem = MatchMemory(size=2, seconds=60)
    for i in range(3):
        mem.put(f"r{i}", "t", None, f"result {i}")
    assert mem.get("r0", "t", None) is None and mem.get("r2", "t", None) == "result 2"
    assert mem.get("r2", "other text", None) is None
    old = MatchMemory(size=2, seconds=0)
    old.put("r", "t", None, "x")
    assert old.get("r", "t", None) is None
