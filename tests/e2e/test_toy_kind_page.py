"""The toy policy kind (tests/toy_policy_kind.py) for real, in Chromium: registered by importing
its module, built into an index over the fixture catalog plus a policies.csv, served by the real
app, and shown by the pages that know no particular kind — the search page offers it and renders
its results as cards, its resource page shows it, and the console refers a subsidy request to it.

Nothing is faked: no route here rewrites a response. This module serves its own app (the
``live_server`` below replaces the session's one for these tests, so conftest's ``page`` — other
origins blocked and recorded, uncaught errors and dialogs failing the test — talks to it), and it
takes the kind out of the registry again when it is done.
"""

from __future__ import annotations

import importlib
import re
import shutil
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from conftest import serve
from playwright.sync_api import expect
from test_kind_plugin import POLICIES

from qis_match.catalog.kinds import kind_names, unregister

pytestmark = pytest.mark.e2e

CLERK_KEY = "toy-kind-clerk-key-0123456789-abcd"
ANALYST_KEY = "toy-kind-analyst-key-0123456789-ab"
OPEN = {"P-TEST-HB", "P-TEST-HN"}  # P-TEST-OLD closed on 2020-01-31


@dataclass
class PolicyServer:
    url: str
    store: object  # qis_match.store.tickets.TicketStore
    matcher: object  # qis_match.pipeline.Matcher
    clerk_key: str = CLERK_KEY


@pytest.fixture(scope="module")
def live_server(chromium_path, e5_encoder, need_classifier, fixture_catalog, tmp_path_factory):
    """The real app over an index with the toy kind in it, served by uvicorn on a loopback port
    (as in conftest); the kind is unregistered at teardown so later tests do not see it."""
    import toy_policy_kind

    from qis_match.build import build_index
    from qis_match.pipeline import Matcher
    from qis_match.settings import Settings
    from qis_match.store.tickets import TicketStore
    from service.app import create_app
    from service.security import KeyRing

    importlib.reload(toy_policy_kind)  # registers it (again, if an earlier test took it out)
    try:
        assert "policy" in kind_names()
        tmp = tmp_path_factory.mktemp("e2e-toy-kind")
        cat = tmp / "catalog"
        shutil.copytree(fixture_catalog, cat)
        (cat / "policies.csv").write_text(POLICIES, encoding="utf-8")
        settings = Settings(home=tmp / "home", catalog_dir=cat, rate_limit_per_minute=0)
        report = build_index(
            settings, encoder=e5_encoder, progress=False, classifier=need_classifier
        )
        assert report.manifest["policies"] == 3
        matcher = Matcher(settings, encoder=e5_encoder)
        store = TicketStore(f"sqlite:///{tmp}/e2e.db")
        keys = KeyRing.parse(f"clerk:toy-clerk:{CLERK_KEY},analyst:toy-analyst:{ANALYST_KEY}")
        app = create_app(settings, matcher=matcher, ticket_store=store, keys=keys)

        with serve(app) as url:
            yield PolicyServer(url=url, store=store, matcher=matcher)
    finally:
        unregister("policy")


@pytest.fixture()
def console_errors(page):
    """Errors the page logs to its console (conftest's ``page`` fails on uncaught ones)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield errors
    assert not errors, f"the page logged errors: {errors}"


def set_key(page, key: str) -> None:
    """Enter the clerk's key in the header field, as a clerk would (as in test_pages)."""
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")
    page.wait_for_function("k => sessionStorage.getItem('qis.apiKey') === k", arg=key)


def search(page, action) -> dict:
    """Do ``action`` on the search page; the API's answer it got."""
    with page.expect_response(lambda r: "/api/v1/search?" in r.url) as resp:
        action()
    assert resp.value.ok, resp.value.text()
    expect(page.locator("#search-status")).to_have_class(re.compile(r"\bok\b"))
    return resp.value.json()


def check_policy_cards(page) -> list[str]:
    """The search results are open policy items only, each as a policy card; their ids."""
    cards = page.locator("#search-results .result-card")
    expect(cards.first).to_be_visible()
    ids = [c.get_attribute("data-resource-id") for c in cards.all()]
    assert ids and set(ids) <= OPEN, ids  # P-TEST-OLD (closed) is never shown
    expect(page.locator("#search-results [data-resource-id=P-TEST-OLD]")).to_have_count(0)
    for c in cards.all():
        expect(c).to_have_attribute("data-resource-type", "policy")
        expect(c).to_have_class(re.compile(r"\bresult-policy\b"))
        expect(c.locator(".rtype-badge")).to_have_text("政策")
        expect(c.locator(".badge.policy")).to_have_text("政策")
        expect(c.locator(".spec-deadline")).to_have_text("申报截止：2030-12-31")
        expect(c.locator(".facts")).to_contain_text("适用地区：")
    return ids


def check_hb_card(page) -> None:
    hb = page.locator("#search-results .result-card[data-resource-id=P-TEST-HB]")
    expect(hb.locator(".ref-name")).to_have_text("湖北省小微企业检验检测费用补贴（测试）")
    expect(hb.locator(".ref-name")).to_have_attribute("href", "/resource/P-TEST-HB")
    expect(hb.locator(".ref-type")).to_have_text("湖北省市场监督管理局（演示）")  # the issuer
    expect(hb.locator(".spec-support")).to_have_text("支持：检测费用的50%，每家每年最高2万元")
    expect(hb.locator(".facts")).to_contain_text("适用地区：湖北省")


def test_search_offers_the_kind_and_shows_its_items_and_page(
    page, live_server, watch, console_errors, shots
):
    page.goto(live_server.url + "/search")
    radio = page.locator("#s-type input[name=resource_type][value=policy]")
    expect(radio).to_have_count(1)  # from the kind registry: no template names it
    label = page.locator("#s-type label", has=page.locator("input[value=policy]"))
    expect(label).to_have_text("政策")
    expect(page.locator(".page-title small")).to_contain_text("政策")

    # Words, with the policy type chosen.
    label.click()
    expect(radio).to_be_checked()
    page.fill("#s-q", "检测补贴")
    got = search(page, lambda: page.click("#search-btn"))
    assert got["count"] >= 1 and {r["resource_type"] for r in got["results"]} == {"policy"}
    expect(page).to_have_url(re.compile(r"resource_type=policy"))
    assert check_policy_cards(page) == [r["resource_id"] for r in got["results"]]
    expect(page.locator("#search-status")).to_contain_text("政策")
    page.screenshot(path=str(shots / "toy-kind-01-search.png"), full_page=True)

    # No words: the policy type alone browses the kind's open items.
    page.fill("#s-q", "")
    got = search(page, lambda: page.click("#search-btn"))
    assert {r["resource_id"] for r in got["results"]} == OPEN
    assert set(check_policy_cards(page)) == OPEN
    check_hb_card(page)
    page.screenshot(path=str(shots / "toy-kind-02-browse.png"), full_page=True)

    # The item's page, opened from its card.
    page.locator("#search-results .result-card[data-resource-id=P-TEST-HB] a.ref-name").click()
    expect(page).to_have_url(re.compile(r"/resource/P-TEST-HB$"))
    check_resource_page(page)
    page.click("#back-link")
    expect(page).to_have_url(re.compile(r"/search\?.*resource_type=policy"))
    expect(page.locator("#search-results .result-card")).to_have_count(len(OPEN))
    assert not watch.foreign, watch.foreign


def check_resource_page(page) -> None:
    expect(page.locator("#resource")).to_be_visible()
    expect(page.locator("#res-kind .rtype-badge")).to_have_text("政策")
    expect(page.locator("#res-name")).to_have_text("湖北省小微企业检验检测费用补贴（测试）")
    expect(page.locator("#res-sub")).to_have_text("湖北省市场监督管理局（演示）")  # the issuer
    expect(page.locator("#res-badges .badge.policy")).to_have_text("政策")
    d = page.locator("#res-details")
    expect(d.locator("[data-field=deadline]")).to_have_text("2030-12-31")
    expect(d.locator("[data-field=support]")).to_have_text("检测费用的50%，每家每年最高2万元")
    expect(d.locator("dt")).to_contain_text(["申报截止", "支持"])
    expect(page.locator("#cap-title")).to_have_text("支持事项")  # the kind's lines_title
    lines = page.locator("#capabilities tbody tr")
    expect(lines).to_have_count(2)  # testing.electrical, testing.consumer
    expect(lines.first).to_contain_text("检测费用的50%")
    expect(lines.first).to_contain_text("小微企业送检家用电器产品的检测费用补贴")  # description
    expect(page).to_have_title(re.compile("政策详情"))


def test_resource_page_of_a_policy(page, live_server, watch, console_errors, shots):
    page.goto(live_server.url + "/resource/" + quote("P-TEST-HB"))
    check_resource_page(page)
    page.screenshot(path=str(shots / "toy-kind-03-resource.png"), full_page=True)
    assert not watch.foreign, watch.foreign


def test_console_refers_a_subsidy_request_to_the_policy(
    page, live_server, watch, console_errors, shots
):
    page.goto(live_server.url + "/console")
    set_key(page, live_server.clerk_key)
    page.fill("#req-text", "电热水壶送检想申请检测补贴")
    page.fill("#req-region", "湖北省武汉市")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/match")) as resp:
        page.click("#match-btn")
    assert resp.value.ok, resp.value.text()
    expect(page.locator("#match-status")).to_have_class(re.compile(r"\bok\b"))

    card = page.locator("#bundle .need-card[data-resource-type=policy]")
    expect(card).to_have_count(1)
    expect(card.locator(".need-rtype")).to_have_text("由政策承办")
    refs = card.locator(".ref")
    first = refs.first
    expect(first).to_have_attribute("data-resource-id", "P-TEST-HB")
    expect(first).to_have_attribute("data-resource-type", "policy")
    expect(first).to_have_class(re.compile(r"\bref-policy\b"))
    expect(first.locator("input[type=radio]")).to_have_value("P-TEST-HB")
    expect(first.locator("input[type=radio]")).to_be_checked()
    expect(first.locator(".rtype-badge")).to_have_text("政策")
    expect(first.locator(".ref-name")).to_have_text("湖北省小微企业检验检测费用补贴（测试）")
    expect(first.locator(".ref-type")).to_have_text("湖北省市场监督管理局（演示）")
    expect(first.locator(".spec-deadline")).to_have_text("申报截止：2030-12-31")
    expect(first.locator(".badge.policy")).to_have_text("政策")
    expect(first.locator("a.ref-link")).to_have_text("政策详情")
    expect(first.locator("a.ref-link")).to_have_attribute("href", "/resource/P-TEST-HB")
    ids = [r.get_attribute("data-resource-id") for r in refs.all()]
    assert "P-TEST-OLD" not in ids and "P-TEST-HN" not in ids, ids  # closed; another province
    page.screenshot(path=str(shots / "toy-kind-04-console.png"), full_page=True)
    assert not watch.foreign, watch.foreign
