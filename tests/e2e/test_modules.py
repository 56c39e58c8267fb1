"""The pages' scripts are ES modules from /static/js (no build step): each page loads its module
under the page's Content-Security-Policy (script-src 'self') without a violation, and the module
runs (the key box and the page's own first render)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = {
    "/console": "#match-form",
    "/search": "#search-form",
    "/board": "#board-status",
    "/slip/1": "#slip-status",
    "/resource/T-MET-WH": "#res-name",
    "/analytics": "#a-status",
}


def test_every_page_runs_its_module_under_the_csp(page, live_server):
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    scripts: set[str] = set()
    page.on("request", lambda r: scripts.add(r.url) if r.resource_type == "script" else None)
    for path, ready in PAGES.items():
        page.goto(live_server.url + path)
        expect(page.locator(ready)).to_be_attached()
        # the shared chrome ran (main.js → chrome.js)
        expect(page.locator("#key-state")).to_have_text("未设置")
        expect(page.locator("#flash")).to_have_attribute("title", "点击关闭")
        html = page.content()
        srcs = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html)
        assert srcs == ["/static/js/main.js"], (path, srcs)
        assert 'type="module"' in html
    expect(page.locator("#a-status")).to_contain_text("分析员")
    page.goto(live_server.url + "/resource/T-MET-WH")
    expect(page.locator("#res-name")).not_to_be_empty()
    expect(page.locator("#cap-title")).to_have_text("能力范围")
    violations = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert not violations, violations
    loaded = {u.split(live_server.url, 1)[-1] for u in scripts}
    assert {"/static/js/main.js", "/static/js/api.js", "/static/js/console.js"} <= loaded, loaded
    assert all(u.startswith("/static/js/") for u in loaded), loaded


def test_a_page_is_wired_when_it_has_loaded_even_if_its_module_is_slow(page, live_server):
    """A clerk who types as soon as the console has loaded loses nothing: the page's module is
    part of the load (static imports from main.js), and it never overwrites a typed region with
    the remembered one. The module is delayed by 1.5 s here, as on a slow or busy machine."""
    import time

    def slow(route):
        time.sleep(1.5)
        route.continue_()

    page.route("**/static/js/console.js", slow)
    page.goto(live_server.url + "/console")  # waits for the load event
    page.fill("#req-text", "压力表到期要送检")
    page.fill("#req-region", "湖北省武汉市")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/match")) as resp:
        page.click("#match-btn")
    assert resp.value.ok
    expect(page.locator("#req-region")).to_have_value("湖北省武汉市")
    expect(page.locator("#bundle .badge.loc").first).to_be_visible()
