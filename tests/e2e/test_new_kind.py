"""A resource kind the pages have never heard of (here "policy", 政策 items with a deadline and an
eligible region) renders from its kind descriptor (``ui_data.kinds``) and the ``card`` on each
resource object alone: the scripts and templates know no particular kind.

The server does not register such a kind in the fixture, so the test adds it where the server
would: the descriptor into the page's UI data, the resources into the API's answers.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

POLICY = {
    "name": "policy",
    "label": "政策",
    "role": "适用政策",
    "detail_link": "政策详情",
    "lines_title": "政策条款",
    "line_columns": [
        {"key": "object", "label": "条款"},
        {"key": "item", "label": "支持内容"},
        {"key": "description", "label": "说明"},
    ],
    "checklist": ["申报书（按政策文件附件格式）", "企业上年度财务报表"],
}

POLICY_CARD = {
    "subtitle": "湖北省市场监督管理局 · 鄂市监质〔2026〕1号",
    "facts": [
        {"key": "deadline", "label": "申报截止", "value": "2026年12月31日"},
        {"key": "region", "label": "适用地区", "value": "湖北省"},
    ],
    "place": {"label": "适用地区", "value": "湖北省"},
    "badges": [{"text": "申报中", "tone": "open"}],
}

POLICY_RESULT = {
    "resource_type": "policy",
    "resource_id": "P-QUAL-HB",
    "resource_name": "小微企业质量提升补贴",
    "institution_id": "P-QUAL-HB",
    "institution_name": "小微企业质量提升补贴",
    "category": "quality",
    "sub_service": None,
    "score": 0.9,
    "evidence": [],
    "card": POLICY_CARD,
}

UI_DATA = re.compile(r'(<script type="application/json" id="ui-data">)(.*?)(</script>)', re.S)


def tojson(data) -> str:
    """Like Jinja's |tojson: JSON that is safe inside a script element."""
    s = json.dumps(data, ensure_ascii=False)
    return (
        s.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027")
    )


def add_kind(page, pattern: str) -> None:
    """Serve the page at ``pattern`` with the policy kind registered in its UI data."""

    def handle(route):
        resp = route.fetch()
        body = resp.text()
        m = UI_DATA.search(body)
        assert m, "the page has no ui-data element"
        data = json.loads(m.group(2))
        kinds = data.get("kinds")
        assert isinstance(kinds, list) and kinds, "the server sends ui_data.kinds"
        data["kinds"] = [*kinds, POLICY]
        body = body[: m.start(2)] + tojson(data) + body[m.end(2) :]
        route.fulfill(response=resp, body=body)

    page.route(pattern, handle)


def test_a_new_kind_renders_from_its_descriptor_and_cards(page, live_server, shots):
    # Search: the policy result among the real ones, from its card.
    add_kind(page, re.compile(r"^http://[^/]+/search(\?|$)"))

    def search(route):
        resp = route.fetch()
        data = resp.json()
        data["results"] = [POLICY_RESULT, *data["results"]]
        data["count"] = len(data["results"])
        route.fulfill(response=resp, json=data)

    page.route("**/api/v1/search?*", search)
    page.goto(live_server.url + "/search?q=%E8%BF%94%E4%BF%AE")  # 返修
    card = page.locator("#search-results .result-card[data-resource-type=policy]")
    expect(card).to_have_class(re.compile(r"\bresult-policy\b"))
    expect(card.locator(".rtype-badge")).to_have_text("政策")
    expect(card.locator(".ref-name")).to_have_text("小微企业质量提升补贴")
    expect(card.locator(".ref-name")).to_have_attribute("href", "/resource/P-QUAL-HB")
    expect(card.locator(".ref-type")).to_have_text("湖北省市场监督管理局 · 鄂市监质〔2026〕1号")
    expect(card.locator(".spec-deadline")).to_have_text("申报截止：2026年12月31日")
    expect(card.locator(".spec-region")).to_have_text("适用地区：湖北省")
    expect(card.locator(".facts")).to_contain_text("适用地区：湖北省")
    expect(card.locator(".badge.open")).to_have_text("申报中")
    expect(page.locator("#search-status")).to_contain_text("政策 1")
    page.screenshot(path=str(shots / "new-kind-01-search.png"), full_page=True)

    # The resource page: the kind's title and columns, the card's profile rows.
    add_kind(page, "**/resource/P-QUAL-HB")
    resource = {
        **{k: POLICY_RESULT[k] for k in ("resource_type", "resource_id")},
        "name": "小微企业质量提升补贴",
        "categories": ["quality"],
        "description": "支持小微企业开展质量提升活动。",
        "card": {
            "subtitle": POLICY_CARD["subtitle"],
            "badges": [{"text": "申报中", "tone": "open"}],
            "rows": [
                {"label": "申报截止", "key": "deadline", "value": "2026年12月31日"},
                {"label": "适用地区", "key": "region", "value": "湖北省"},
                {
                    "label": "支持对象",
                    "key": "targets",
                    "chips": [{"text": "小微企业"}, {"text": "个体工商户"}],
                },
            ],
        },
        "capabilities": [
            {
                "line_id": "P-QUAL-HB-1",
                "category": "quality",
                "sub_service": "",
                "object": "质量提升",
                "item": "最高补贴10万元",
                "standard": "",
                "standard_title": "",
                "measuring_range": "",
                "accuracy": "",
                "description": "",
            }
        ],
    }
    page.route("**/api/v1/resources/P-QUAL-HB", lambda r: r.fulfill(json=resource))
    page.locator("#search-results .result-card[data-resource-type=policy] a.ref-name").click()
    expect(page).to_have_url(re.compile(r"/resource/P-QUAL-HB$"))
    expect(page.locator("#resource")).to_be_visible()
    expect(page.locator("#res-kind .rtype-badge")).to_have_text("政策")
    expect(page.locator("#res-sub")).to_have_text(POLICY_CARD["subtitle"])
    expect(page.locator("#res-badges .badge.open")).to_have_text("申报中")
    d = page.locator("#res-details")
    expect(d.locator("[data-field=deadline]")).to_have_text("2026年12月31日")
    expect(d.locator("[data-field=region]")).to_have_text("湖北省")
    expect(d.locator("[data-field=targets] .chip")).to_have_text(["小微企业", "个体工商户"])
    expect(d).to_contain_text("支持小微企业开展质量提升活动。")
    expect(page.locator("#cap-title")).to_have_text("政策条款")
    expect(page.locator("#capabilities thead th")).to_have_text(["条款", "支持内容"])
    expect(page.locator("#capabilities tbody td").first).to_have_text("质量提升：最高补贴10万元")
    expect(page).to_have_title(re.compile("政策详情"))
    page.screenshot(path=str(shots / "new-kind-02-resource.png"), full_page=True)

    # The slip: the kind's role and checklist, the snapshot card's rows.
    ticket_id = 987654
    add_kind(page, f"**/slip/{ticket_id}")
    ticket = {
        "id": ticket_id,
        "created_at": "2026-12-01T02:00:00Z",
        "deadline": "2026-12-08T02:00:00Z",
        "status": "已受理",
        "enterprise": "武汉某电器有限公司",
        "province": "湖北省",
        "city": "武汉市",
        "request_text": "想申请质量提升补贴",
        "needs": [
            {"category": "quality", "name": "质量", "text": "质量提升补贴", "status": "wanted"}
        ],
        "referrals": [
            {
                "category": "quality",
                "resource_type": "policy",
                "sub_service": None,
                "institution_id": "P-QUAL-HB",
                "institution_name": "小微企业质量提升补贴",
                "snapshot": {
                    "name": "小微企业质量提升补贴",
                    "card": {
                        "name_note": "（鄂市监质〔2026〕1号）",
                        "slip_rows": [
                            {"label": "申报截止", "value": "2026年12月31日", "key": "deadline"},
                            {"label": "适用地区", "value": "湖北省"},
                            {"label": "咨询电话", "value": "027-00009999", "key": "phone"},
                        ],
                        "checklist_extra": ["近三年质量荣誉证明（如有）"],
                    },
                },
            },
            {
                # a snapshot without a card (e.g. of a kind no longer registered): shown plainly
                "category": "testing",
                "resource_type": "retired",
                "sub_service": "testing.chemical",
                "institution_id": "R-1",
                "institution_name": "旧目录条目",
                "snapshot": {
                    "name": "旧目录条目",
                    "province": "湖北省",
                    "city": "武汉市",
                    "address": "洪山区某路1号",
                    "phone": "027-00001111",
                },
            },
        ],
    }
    page.route(f"**/api/v1/tickets/{ticket_id}", lambda r: r.fulfill(json=ticket))
    page.goto(f"{live_server.url}/slip/{ticket_id}")
    page.fill("#api-key", live_server.clerk_key)
    page.click("#key-form button[type=submit]")
    need = page.locator("#slip .slip-need[data-resource-type=policy]")
    expect(need).to_be_visible()
    expect(need).to_have_class(re.compile(r"\bslip-policy\b"))
    expect(need.locator("h3 .slip-rtype")).to_have_text("政策")
    expect(need.locator("tr").first).to_have_text(
        re.compile(r"适用政策\s*小微企业质量提升补贴（鄂市监质〔2026〕1号）")
    )
    expect(need.locator(".slip-deadline td")).to_have_text("2026年12月31日")
    expect(need.locator(".slip-phone td")).to_have_text("027-00009999")
    expect(need).to_contain_text("湖北省")
    expect(need.locator(".checklist li")).to_have_text(
        ["申报书（按政策文件附件格式）", "企业上年度财务报表", "近三年质量荣誉证明（如有）"]
    )
    old = page.locator("#slip .slip-need[data-resource-type=retired]")
    expect(old.locator("h3 .slip-rtype")).to_have_text("retired")
    expect(old).to_contain_text("旧目录条目")
    expect(old).to_contain_text("湖北省武汉市洪山区某路1号")
    expect(old.locator(".slip-phone td")).to_have_text("027-00001111")
    expect(old.locator(".checklist li").first).to_be_visible()  # the category's checklist
    page.screenshot(path=str(shots / "new-kind-03-slip.png"), full_page=True)
