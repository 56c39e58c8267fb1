"""Who a client is, and what its requests cost (issues 24 and 23).

A forged X-Forwarded-For or Forwarded header from a peer that is not a trusted proxy changes
nothing: the limit holds, in the app and behind the real uvicorn that `qis-match serve` runs. From
a trusted proxy the header is honoured (from the right: a client cannot prepend its way out).
Requests are charged by the time they take, so slow requests exhaust a budget that many fast ones
would not.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qis_match.store.tickets import TicketStore
from service.app import create_app
from service.ratelimit import RateLimitMiddleware, ServiceClock, TokenBuckets
from service.security import ClientAddress, KeyRing

KEYS = KeyRing.parse("clerk:alice:clerk-key-for-tests-0123456789")
NOPE = "/api/v1/resources/NOPE"  # cheap: 404 from the loaded index, no matching


def _app(built_settings, matcher, tmp_path, **update):
    s = built_settings.model_copy(
        update={"rate_limit_per_minute": 6, "rate_limit_cost_seconds": 0.0, **update}
    )
    return create_app(
        s, matcher=matcher, ticket_store=TicketStore(f"sqlite:///{tmp_path}/t.db"), keys=KEYS
    )


def _forged(i: int) -> dict[str, str]:
    return {
        "X-Forwarded-For": f"198.51.100.{i}",
        "Forwarded": f"for=198.51.100.{i};proto=https",
        "X-Real-IP": f"198.51.100.{i}",
    }


def test_forged_headers_from_an_untrusted_peer_do_not_lift_the_limit(
    built_settings, matcher, tmp_path
):
    app = _app(built_settings, matcher, tmp_path)  # burst 3 (6 a minute)
    with TestClient(app, client=("203.0.113.7", 40000)) as c:
        codes = [c.get(NOPE, headers=_forged(i)).status_code for i in range(10)]
    assert codes[:3] == [404] * 3 and codes[3:] == [429] * 7, codes


@pytest.mark.parametrize("header", ["x-forwarded-for", "forwarded"])
def test_a_trusted_proxy_names_the_client(built_settings, matcher, tmp_path, header):
    app = _app(
        built_settings,
        matcher,
        tmp_path,
        trusted_proxies="10.0.0.0/24, 2001:db8::1",
        forwarded_header=header,
    )

    def hdr(chain: str) -> dict[str, str]:
        if header == "forwarded":
            return {"Forwarded": ", ".join(f'for="{h}"' for h in chain.split(", "))}
        return {"X-Forwarded-For": chain}

    with TestClient(app, client=("10.0.0.5", 40000)) as c:
        # Each client behind the proxy has its own budget ...
        codes = [c.get(NOPE, headers=hdr(f"198.51.100.{i}")).status_code for i in range(8)]
        assert codes == [404] * 8, codes
        # ... and one client cannot lift its own by prepending made-up hops: read from the right.
        codes = [
            c.get(NOPE, headers=hdr(f"192.0.2.{i}, 198.51.100.77, 10.0.0.9")).status_code
            for i in range(6)
        ]
        assert codes[:3] == [404] * 3 and codes[3:] == [429] * 3, codes


def test_client_address_parsing():
    addr = ClientAddress("10.0.0.0/8,::1")
    assert addr("203.0.113.7", {"x-forwarded-for": "1.2.3.4"}) == "203.0.113.7"
    assert addr("10.1.2.3", {"x-forwarded-for": "1.2.3.4, 10.9.9.9"}) == "1.2.3.4"
    assert addr("10.1.2.3", {}) == "10.1.2.3"  # no header: the proxy itself
    assert addr("10.1.2.3", {"x-forwarded-for": "garbage"}) == "10.1.2.3"
    fwd = ClientAddress("::1", "forwarded")
    assert fwd("::1", {"forwarded": 'for="[2001:db8::7]:4711";proto=https'}) == "2001:db8::7"
    assert fwd("::1", {"forwarded": "for=192.0.2.60:8080, for=198.51.100.1"}) == "198.51.100.1"
    assert ClientAddress()("10.1.2.3", {"x-forwarded-for": "1.2.3.4"}) == "10.1.2.3"
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        ClientAddress("not-an-address")


def test_qis_match_serve_lets_no_forged_header_through(
    built_settings, matcher, tmp_path, monkeypatch
):
    """The red-team case: 127.0.0.1 rotating X-Forwarded-For against the real uvicorn, run with
    the options `qis-match serve` gives it (uvicorn itself trusts the header from 127.0.0.1)."""
    from qis_match.cli import main

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setenv("QIS_API_KEYS", "")
    assert main(["serve", "--home", str(built_settings.home)]) == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = {k: v for k, v in seen.items() if k not in ("host", "port")}
    config = uvicorn.Config(
        _app(built_settings, matcher, tmp_path), host="127.0.0.1", port=port, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            codes = [c.get(NOPE, headers=_forged(i)).status_code for i in range(10)]
    finally:
        server.should_exit = True
        thread.join(10)
    assert codes.count(404) == 3 and codes[3:] == [429] * 7, codes
    assert seen["proxy_headers"] is False


# --- charged by cost


def _slow_app(cost_seconds: float, per_minute: int = 60) -> FastAPI:
    app = FastAPI()

    @app.get("/slow")
    async def slow():
        await asyncio.sleep(0.05)
        return {}

    @app.get("/fast")
    async def fast():
        return {}

    app.add_middleware(RateLimitMiddleware, per_minute=per_minute, cost_seconds=cost_seconds)
    return app


def _allowed(client: TestClient, path: str, n: int = 40) -> int:
    return sum(client.get(path).status_code == 200 for _ in range(n))


def test_slow_requests_are_charged_by_the_time_they_take():
    # Counted only: the burst (30) of slow requests goes through (and what refills meanwhile).
    with TestClient(_slow_app(0.0)) as c:
        assert 30 <= _allowed(c, "/slow") <= 33
    # Charged 1 token per 10 ms: each 50 ms request costs ≥ 5, so 30 tokens buy at most 6.
    with TestClient(_slow_app(0.01)) as c:
        assert 2 <= _allowed(c, "/slow") <= 7
    with TestClient(_slow_app(0.01)) as c:  # fast requests still cost one each
        assert _allowed(c, "/fast") >= 29


def test_the_cost_setting_reaches_the_service(built_settings, matcher, tmp_path):
    with TestClient(_app(built_settings, matcher, tmp_path, rate_limit_cost_seconds=1e-9)) as c:
        codes = [c.get(NOPE).status_code for _ in range(3)]
    assert codes == [404, 429, 429]  # any request costs the whole bucket


def test_debt_is_repaid_at_the_rate_and_bounded():
    b = TokenBuckets(per_minute=60)  # 1 a second, 30 deep
    assert b.take("c", now=0.0) == 0
    b.charge("c", 1000.0, now=0.0)
    assert b.balance("c", now=0.0) == -30.0  # at most one bucket of debt
    assert b.take("c", now=0.0) == pytest.approx(31.0)  # Retry-After: until one token is back
    assert b.take("c", now=31.0) == 0


def test_a_request_is_charged_its_share_of_the_cores_not_its_queueing():
    clock = ServiceClock(cores=1)
    a = clock.start(now=0.0)
    b = clock.start(now=0.0)  # two at once on one core: each has half of it
    assert clock.stop(a, now=1.0) == pytest.approx(0.5)
    assert clock.stop(b, now=1.5) == pytest.approx(1.0)  # 0.5 shared, then 0.5 alone
    two = ServiceClock(cores=2)
    c, d = two.start(now=0.0), two.start(now=0.0)  # a core each: full time
    assert two.stop(c, now=1.0) == pytest.approx(1.0) == two.stop(d, now=1.0)
