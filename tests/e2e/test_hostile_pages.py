"""A battery of injection payloads, sent through the real API and pages in headless Chromium:
request text and region (echoed in errors), override reasons, status notes and feedback stored
with tickets, search fields from the URL, and resource ids in the path. Everything must render
as text: no payload script runs (a canary global stays unset), no dialog opens, no element or
event handler comes from a payload, and the Content-Security-Policy never has to block
anything (a violation would mean markup got into the page and only the CSP stopped it).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAYLOADS = [
    '<img src=x onerror="window.__pwned=1;alert(1)">',
    "<svg><script>window.__pwned=2</script></svg>",
    '"><iframe srcdoc="<script>parent.__pwned=3</script>"></iframe>',
    "</script><script>window.__pwned=4</script>",
    '<a href="javascript:window.__pwned=5">点我</a>',
    "<details open ontoggle=window.__pwned=6>",
    "javascript:window.__pwned=7//",
    "';window.__pwned=8;//",
    "{{constructor.constructor('window.__pwned=9')()}}",
    "<style>*{background:url(//evil.example/x)}</style>",
    "' OR 1=1; DROP TABLE tickets; --",
]
ALL = " ".join(PAYLOADS)
# Markup the pages never make themselves: any of it in the document came from a payload.
FOREIGN = "main iframe, main svg script, main details[ontoggle], [onerror], [onload], [ontoggle], main a[href^='javascript']"

CANARY = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture()
def hostile_page(page):
    page.add_init_script(CANARY)
    return page


def assert_inert(page) -> None:
    page.wait_for_timeout(200)  # give an injected handler the chance to run
    assert page.evaluate("window.__pwned") is None, "a payload ran"
    assert page.evaluate("window.__csp") == [], "markup reached the page; only the CSP stopped it"
    assert page.locator(FOREIGN).count() == 0


def _api(live_server) -> httpx.Client:
    return httpx.Client(
        base_url=live_server.url, headers={"X-API-Key": live_server.clerk_key}, timeout=30
    )


def _ticket_with_payloads(live_server) -> int:
    text, region = "压力表到期要送检" + PAYLOADS[0], "湖北省武汉市"
    with _api(live_server) as c:
        m = c.post("/api/v1/match", json={"text": text, "region": region}).json()
        choices = [
            {
                "category": b["category"],
                "institution_id": b["referrals"][0]["resource_id"],
                "override_reason": ALL[:500],
            }
            for b in m["bundle"]
            if b["referrals"]
        ]
        r = c.post("/api/v1/tickets", json={"text": text, "region": region, "choices": choices})
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        r = c.post(
            f"/api/v1/tickets/{tid}/status",
            json={"status": "已转介", "version": 1, "note": ALL[:500]},
        )
        assert r.status_code == 200, r.text
        r = c.post(
            f"/api/v1/tickets/{tid}/feedback",
            json={"rating": 2, "comment": ALL[:1000], "institution_used": PAYLOADS[1][:64]},
        )
        assert r.status_code == 200, r.text
    return tid


def test_console_request_and_region_payloads(hostile_page, live_server, watch):
    page = hostile_page
    page.goto(live_server.url + "/console")
    page.fill("#api-key", live_server.clerk_key)
    page.click("#key-form button[type=submit]")
    page.fill("#req-text", ("压力表到期要送检" + ALL)[:2000])
    page.fill("#req-region", "湖北省武汉市")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/match")):
        page.click("#match-btn")
    expect(page.locator("#norm-text")).to_contain_text("DROP TABLE")
    assert_inert(page)
    for payload in PAYLOADS[:4]:  # an unknown region is echoed in the error message
        page.fill("#req-region", payload[:40])
        with page.expect_response(lambda r: r.url.endswith("/api/v1/match")):
            page.click("#match-btn")
        expect(page.locator("#match-status")).to_contain_text("<")
        assert_inert(page)
    assert watch.dialogs == []


def test_stored_payloads_on_board_and_slip(hostile_page, live_server, watch):
    page = hostile_page
    tid = _ticket_with_payloads(live_server)
    page.goto(live_server.url + "/board")
    page.fill("#api-key", live_server.clerk_key)
    page.click("#key-form button[type=submit]")
    card = page.locator(f"#board .ticket-card[data-ticket-id='{tid}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("DROP TABLE")
    card.locator("details.feedback summary").click()  # open what can be opened
    assert_inert(page)
    page.goto(f"{live_server.url}/slip/{tid}")
    expect(page.locator("#slip")).to_be_visible()
    assert_inert(page)
    assert watch.dialogs == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_fields_from_the_url(hostile_page, live_server, watch, payload):
    page = hostile_page
    params = {"q": payload, "province": payload[:20], "city": payload[:30]}
    params["accreditation"] = payload[:40]
    page.goto(f"{live_server.url}/search?{urlencode(params)}")
    expect(page.locator("#s-q")).to_have_value(payload)
    page.click("#search-btn")
    page.wait_for_function("() => !document.querySelector('#search-status.busy')")
    assert_inert(page)
    # a "/" would make it another path (a JSON 404), so the id goes without it
    page.goto(f"{live_server.url}/resource/{quote(payload.replace('/', ''), safe='')}")
    expect(page.locator("#res-status")).to_contain_text("未找到")
    assert_inert(page)
    assert watch.dialogs == []
