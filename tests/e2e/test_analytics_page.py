"""The analyst page in headless Chromium: refuses without an analyst key, then shows the report's
tables and charts for the logged demand."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def set_key(page, key: str) -> None:
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")
    page.wait_for_function("k => sessionStorage.getItem('qis.apiKey') === k", arg=key)


def test_analyst_page(page, live_server, shots):
    for text, region in (
        ("压力表到期要送检", "湖北省武汉市"),
        ("想办营业执照", None),
        ("电热水壶要做CCC认证", "湖南省长沙市"),
    ):
        r = httpx.post(live_server.url + "/api/v1/match", json={"text": text, "region": region})
        assert r.status_code == 200
    page.goto(live_server.url + "/analytics")
    expect(page.locator(".site-nav a.active")).to_have_text("需求分析")
    set_key(page, live_server.clerk_key)
    page.click("#a-load")
    expect(page.locator("#a-status")).to_contain_text("分析员")  # a clerk key is refused
    set_key(page, live_server.analyst_key)
    page.click("#a-load")
    expect(page.locator("#a-status")).to_have_text("已更新。", timeout=60_000)
    expect(page.locator("#a-kpis")).to_contain_text("需求记录（件）")
    expect(page.locator("[data-section=hunan] th").first).to_have_text("序号")
    for name in ("heat_unmet", "topics", "trend_monthly", "ticket_times"):
        src = page.locator(f"#chart-{name}").get_attribute("src") or ""
        assert src.startswith("data:image/png;base64,")
    page.screenshot(path=str(shots / "analytics.png"), full_page=True)
