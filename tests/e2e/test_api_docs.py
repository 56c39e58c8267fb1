"""/docs (Swagger UI) and /redoc render the API's operations with no internet: every asset comes
from the app itself, and the page fixture aborts and fails on any request to another origin."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _operation_paths(live_server) -> set[str]:
    import httpx

    spec = httpx.get(f"{live_server.url}/openapi.json", timeout=10).json()
    return set(spec["paths"])


def test_swagger_ui_lists_the_operations_offline(page, live_server, shots, watch):
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    shown = {t.strip() for t in page.locator(".opblock-summary-path").all_inner_texts()}
    shown = {t.replace("\u200b", "") for t in shown}
    assert "/api/v1/match" in shown
    assert shown == _operation_paths(live_server)
    page.screenshot(path=str(shots / "api-docs-swagger.png"))
    assert not watch.foreign


def test_redoc_lists_the_operations_offline(page, live_server, shots, watch):
    page.goto(f"{live_server.url}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
    n = page.locator("[data-section-id^='operation/']").count()
    spec_ops = sum(
        1
        for ops in __import__("httpx")
        .get(f"{live_server.url}/openapi.json")
        .json()["paths"]
        .values()
        for m in ops
        if m in {"get", "post", "put", "patch", "delete"}
    )
    assert n == spec_ops
    page.screenshot(path=str(shots / "api-docs-redoc.png"))
    assert not watch.foreign
