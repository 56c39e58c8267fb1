"""Access control, enumerated from the app's own routes: every endpoint that asks for a key
refuses a missing, wrong or wrong-role key, and an endpoint without one must be on the public
list. Keys are compared in constant time and never logged; personal data is never logged or
stored."""

from __future__ import annotations

import hmac
import logging
import re

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from service.app import create_app
from service.security import ROLES, KeyRing

from .reliability_support import KEYS, auth

# Endpoints anyone may call (the README's table). A new endpoint without a key check fails
# test_every_api_route_is_public_on_purpose_or_protected until it is listed here or protected.
PUBLIC = {
    ("POST", "/api/v1/match"),
    ("GET", "/api/v1/search"),
    ("GET", "/api/v1/institutions/{institution_id}"),
    ("GET", "/api/v1/resources/{resource_id}"),
    ("GET", "/api/v1/kinds"),  # the resource kinds (issue 18), what the pages render from
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/index"),  # the index version being served (issue #6), like /health
    ("GET", "/docs"),  # the API's documentation, served offline (service/docs.py)
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def _roles_required(dependant) -> set[str] | None:
    """The roles of the first ``require(...)`` check among a route's dependencies."""
    for dep in dependant.dependencies:
        call = dep.call
        if getattr(call, "__qualname__", "").startswith("require.<locals>.check"):
            roles = [c.cell_contents for c in call.__closure__ or ()]
            return {r for v in roles if isinstance(v, tuple) for r in v}
        found = _roles_required(dep)
        if found is not None:
            return found
    return None


def _api_routes(app):
    """(path, methods, dependant) of every API route, through included routers."""
    try:  # FastAPI >= 0.16x keeps included routers nested
        from fastapi.routing import iter_route_contexts
    except ImportError:
        for r in app.routes:
            if isinstance(r, APIRoute):
                yield r.path, r.methods, r.dependant
        return
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.route, APIRoute):
            yield ctx.path, ctx.methods or set(), ctx.route.dependant


def _routes(app) -> list[tuple[str, str, set[str] | None]]:
    out = []
    for path, methods, dependant in _api_routes(app):
        for m in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            out.append((m, path, _roles_required(dependant)))
    return out


def _app():
    from qis_match.settings import Settings

    return create_app(Settings(rate_limit_per_minute=0), keys=KeyRing.parse("clerk:x:" + "k" * 20))


ROUTES = _routes(_app())
PROTECTED = [(m, p, roles) for m, p, roles in ROUTES if roles is not None]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("_id") else "x", path)


def _call(client, method: str, path: str, headers: dict):
    if method == "GET":
        return client.get(_url(path), headers=headers)
    return client.request(method, _url(path), json={}, headers=headers)


def test_routes_were_found():
    paths = {p for _, p, _ in PROTECTED}
    assert {
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}/status",
        "/api/v1/catalog/validate",
    } <= paths


def test_every_api_route_is_public_on_purpose_or_protected():
    for method, path, roles in ROUTES:
        if roles is None and (path.startswith("/api/") or path in ("/health", "/metrics")):
            assert (method, path) in PUBLIC, f"{method} {path} has no key check and is not public"


@pytest.mark.parametrize(
    "method, path, roles", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED]
)
def test_protected_endpoint_refuses_missing_wrong_and_wrong_role_keys(client, method, path, roles):
    for headers in (
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "wrong-" + KEYS["clerk"]},
        {"X-API-Key": KEYS["clerk"][:-1]},
    ):
        r = _call(client, method, path, headers)
        assert r.status_code == 401, (headers, r.status_code, r.text)
        assert r.headers.get("www-authenticate") == "ApiKey"
    for role in ROLES:
        r = _call(client, method, path, auth(role))
        if role in roles:
            assert r.status_code not in (401, 403), (role, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)


def test_keys_are_compared_in_constant_time_with_every_key(monkeypatch):
    """Every configured key goes through hmac.compare_digest, whichever matches (or none): the
    time taken does not tell which key, or how much of one, was right."""
    ring = KeyRing.parse("clerk:a:" + "a" * 20 + ",admin:b:" + "b" * 20 + ",analyst:c:" + "c" * 20)
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    for presented in ("a" * 20, "c" * 20, "a" * 19 + "x", "nope"):
        calls.clear()
        ring.identify(presented)
        assert len(calls) == 3


# The test client's own loggers (they print the URLs it requests); everything else is the server.
CLIENT_LOGGERS = ("httpx", "httpcore", "hpack")
SECRET_TEXT = (
    "我们厂压力表要送检，联系人王经理13912345678，身份证420106198001011234，邮箱wang.jl@example.com"
)
PERSONAL = ["13912345678", "420106198001011234", "wang.jl@example.com", "王经理"]


def test_keys_and_personal_data_never_reach_logs_or_storage(client, app, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)  # everything any logger says, at every level
    region = "湖北省武汉市"
    m = client.post("/api/v1/match", json={"text": SECRET_TEXT, "region": region})
    assert m.status_code == 200
    choices = [
        {"category": b["category"], "institution_id": b["referrals"][0]["resource_id"]}
        for b in m.json()["bundle"]
        if b["referrals"]
    ]
    assert choices
    body = {"text": SECRET_TEXT, "region": region, "choices": choices}
    for role in ROLES:  # successes and refusals alike
        client.post("/api/v1/tickets", json=body, headers=auth(role))
        client.get("/api/v1/tickets", headers=auth(role))
    client.post("/api/v1/tickets", json=body, headers={"X-API-Key": "wrong-key-0123456789abcdef"})
    client.get("/api/v1/search", params={"q": SECRET_TEXT[:60]})
    server_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    logged = "\n".join(r.getMessage() + " " + repr(r.args) for r in server_side)
    for key in [*KEYS.values(), "wrong-key-0123456789abcdef"]:
        assert key not in logged
    for p in PERSONAL:
        assert p not in logged
    # Every text column of every table (tickets, histories, and any log kept in the database).
    st = app.state.qis.store
    with st.engine.connect() as c:
        dump = []
        for table in sa.inspect(st.engine).get_table_names():
            dump += [repr(tuple(row)) for row in c.execute(sa.text(f'SELECT * FROM "{table}"'))]
    stored = "\n".join(dump)
    assert "[电话]" in stored  # the ticket is there, redacted
    for p in PERSONAL:
        assert p not in stored
    for key in KEYS.values():
        assert key not in stored


def test_rate_limit_cannot_be_lifted_with_made_up_keys(built_settings, matcher, tmp_path):
    """A new made-up key per request gets no fresh budget: unknown keys count as their address."""
    from fastapi.testclient import TestClient

    from .reliability_support import make_app

    app = make_app(
        built_settings,
        matcher,
        f"sqlite:///{tmp_path}/t.db",
        rate_limit_per_minute=6,
        rate_limit_cost_seconds=0,  # counted only: this test counts requests
    )
    with TestClient(app) as c:
        codes = [
            c.get("/api/v1/resources/NOPE", headers={"X-API-Key": f"made-up-{i:020d}"}).status_code
            for i in range(8)
        ]
        assert codes.count(404) == 3 and codes[3:] == [429] * 5  # burst of 6 // 2, then refused
        # a real key has its own budget
        assert c.get("/api/v1/resources/NOPE", headers=auth("clerk")).status_code == 404
