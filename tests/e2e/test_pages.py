"""The window's pages in a real headless Chromium: the clerk's console, the notification slip,
the ticket board, the SME search and the resource pages (institutions, experts, shared
instruments), inert rendering of hostile text, and clear errors for a wrong key.

Every page state is saved as a full-page screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>window.__xss=1</script>"
STATIC_JS = Path(__file__).resolve().parents[2] / "service" / "static" / "js"


# --------------------------------------------------------------------------- helpers


def snap(page, shots, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def set_key(page, key: str) -> None:
    """Enter the clerk's key in the header field, as a clerk would."""
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")
    page.wait_for_function("k => sessionStorage.getItem('qis.apiKey') === k", arg=key)


def run_match(page, text: str, region: str) -> None:
    page.fill("#req-text", text)
    page.fill("#req-region", region)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/match")) as resp:
        page.click("#match-btn")
    assert resp.value.ok, resp.value.text()
    expect(page.locator("#match-status")).to_have_class(re.compile(r"\bok\b"))


def board_change(page, action) -> None:
    """Do ``action`` on the board and wait until the tickets it reloads have arrived."""
    with page.expect_response(lambda r: "/api/v1/tickets" in r.url and r.request.method == "GET"):
        action()
    page.wait_for_function("() => !document.querySelector('#board-status.busy')")


def need_card(page, category: str):
    return page.locator(f"#bundle .need-card[data-category={category}]")


def ticket_card(page, ticket_id: int):
    return page.locator(f"#board .ticket-card[data-ticket-id='{ticket_id}']")


def create_ticket(page) -> int:
    page.click("#create-ticket")
    made = page.locator("#ticket-result .ticket-made")
    expect(made).to_be_visible()
    return int(made.locator(".ticket-no").get_attribute("data-ticket-id"))


def pick(card, resource_id: str, reason: str = "企业指定") -> None:
    """Choose a referral of a need; a reason is given when it is not the first."""
    ref = card.locator(f".ref[data-resource-id='{resource_id}']")
    ref.locator("input[type=radio]").check()
    expect(ref).to_have_class(re.compile(r"\bpicked\b"))
    if card.locator(".override").is_visible():
        card.locator(".override-reason").fill(reason)


def open_slip(page, ticket_id: int) -> list[str]:
    """Open the slip from the console's link; the API calls it made (it needs only the ticket)."""
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "/api/" in r.url else None)
    page.click("#slip-link")
    expect(page).to_have_url(re.compile(rf"/slip/{ticket_id}$"))
    expect(page.locator("#slip")).to_be_visible()
    return calls


def search_type(page, label: str) -> None:
    """Click a type of the search's type filter (全部 / 机构 / 专家 / 共享仪器)."""
    page.locator("#s-type label", has_text=label).click()


def make_ticket(store, *, text: str, enterprise: str | None = None, days_ago: int = 0, **choice):
    """A ticket written straight to the store (for states the UI cannot make, e.g. overdue).
    Without ``snapshot`` it is like a ticket made before snapshots existed."""
    from qis_match.store.tickets import Choice, utcnow

    c = Choice(
        category=choice.get("category", "metrology"),
        institution_id=choice.get("institution_id", "T-MET-WH"),
        institution_name=choice.get("institution_name", "武汉市测试计量所（测试）"),
        sub_service=choice.get("sub_service", "metrology.verification"),
        rank=choice.get("rank", 1),
        top_institution_id="T-MET-WH",
        override_reason=choice.get("override_reason"),
        resource_type=choice.get("resource_type", "institution"),
        snapshot=choice.get("snapshot"),
    )
    return store.create(
        request_text=text,
        needs=[
            {
                "category": c.category,
                "name": "计量",
                "score": 0.9,
                "sub_service": c.sub_service,
                "sub_service_name": "计量检定",
                "text": text,
                "start": 0,
                "end": len(text),
                "source": "classifier",
            }
        ],
        entities={"enterprise": enterprise, "province": "湖北省", "city": "武汉市"},
        choices=[c],
        actor="e2e-setup",
        role="clerk",
        now=utcnow() - timedelta(days=days_ago),
    )


# --------------------------------------------------------------------------- the clerk's flow


def test_console_ticket_slip_and_board(page, live_server, shots):
    """Match a request, override the first referral (a reason is required), create the ticket,
    print its slip, move it through every status on the board and leave feedback."""
    store = live_server.store
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.locator(".site-nav a.active")).to_have_text("受理台")
    set_key(page, live_server.clerk_key)

    run_match(page, "武汉某某阀门有限公司：我们厂的压力表到期了要送检，三天内要", "湖北省武汉市")
    card = need_card(page, "metrology")
    expect(card).to_be_visible()
    expect(card.locator(".need-sub")).to_have_text("计量检定")
    expect(card.locator(".need-span-text")).to_contain_text("压力表到期了要送检")
    entities = page.locator("#entities")
    expect(entities).to_contain_text("武汉某某阀门有限公司")
    expect(entities).to_contain_text("压力表")
    expect(entities).to_contain_text("三天内")
    expect(page.locator("#review")).to_be_hidden()
    expect(page.locator("#abstain")).to_be_hidden()

    refs = card.locator(".ref")
    assert refs.count() >= 2
    first, second = refs.nth(0), refs.nth(1)
    expect(first).to_have_attribute("data-resource-id", "T-MET-WH")
    expect(card).to_have_attribute("data-resource-type", "institution")
    expect(card.locator(".need-rtype")).to_have_text("由机构承办")
    expect(first.locator(".rtype-badge")).to_have_text("机构")
    expect(first.locator("input[type=radio]")).to_have_value("T-MET-WH")
    expect(first.locator("a.ref-link")).to_have_attribute("href", "/resource/T-MET-WH")
    expect(first.locator("a.ref-link")).to_have_text("机构详情")
    expect(first.locator(".badge.loc-same_city")).to_have_text("同城")
    expect(first.locator(".badge.discount")).to_have_text("小微优惠")
    expect(first).to_contain_text("027-00001111")
    expect(first).to_contain_text("公里")
    marks = first.locator(".evidence mark")
    assert marks.count() >= 1
    assert "压力表" in marks.all_inner_texts()
    expect(first.locator("input[type=radio]")).to_be_checked()
    expect(second.locator(".badge.loc-same_province")).to_have_text("同省")
    snap(page, shots, "console-01-matched")

    # Choosing another institution than the first needs a reason.
    second_id = second.get_attribute("data-resource-id")
    second.locator("input[type=radio]").check()
    reason = card.locator(".override-reason")
    expect(reason).to_be_visible()
    expect(reason).to_be_focused()
    before = store.counts_by_status()["受理"]
    page.click("#create-ticket")
    expect(card.locator(".field-error")).to_be_visible()
    expect(page.locator("#ticket-result")).to_contain_text("请填写改选理由")
    assert store.counts_by_status()["受理"] == before, "no ticket without a reason"
    snap(page, shots, "console-02-reason-required")

    # Back to the first hides the reason; then override again with a reason.
    first.locator("input[type=radio]").check()
    expect(card.locator(".override")).to_be_hidden()
    second.locator("input[type=radio]").check()
    reason.fill("企业在宜昌有分厂，就近送检")
    page.click("#create-ticket")
    made = page.locator("#ticket-result .ticket-made")
    expect(made).to_be_visible()
    ticket_id = int(made.locator(".ticket-no").get_attribute("data-ticket-id"))
    expect(made.locator(".ticket-no")).to_have_text(f"{ticket_id:06d}")
    expect(made.locator(".ticket-deadline")).to_have_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    expect(page.locator("#create-ticket")).to_be_disabled()
    snap(page, shots, "console-03-ticket-created")

    t = store.get(ticket_id)
    assert [(r.institution_id, r.rank, r.override_reason) for r in t.referrals] == [
        (second_id, 2, "企业在宜昌有分厂，就近送检")
    ]
    assert "[联系人]" not in t.request_text and t.enterprise == "武汉某某阀门有限公司"

    # The slip: print-ready, with the chosen institution (from the ticket's snapshot: the slip
    # fetches nothing but the ticket) and what to prepare.
    calls = open_slip(page, ticket_id)
    assert [u for u in calls if "/api/v1/tickets/" not in u] == [], calls
    slip = page.locator("#slip")
    expect(page.locator("#slip-no")).to_have_text(f"{ticket_id:06d}")
    expect(page.locator("#slip-enterprise")).to_have_text("武汉某某阀门有限公司")
    expect(page.locator("#slip-text")).to_contain_text("压力表到期了要送检")
    expect(page.locator("#slip-deadline")).to_have_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    need = slip.locator(".slip-need")
    expect(need).to_have_count(1)
    expect(need.locator("h3")).to_contain_text("计量")
    expect(need).to_contain_text("宜昌市测试计量所")
    expect(need).to_have_attribute("data-resource-type", "institution")
    expect(need.locator(".slip-phone td")).to_have_text("0717-00003333")  # from the snapshot
    expect(need).to_contain_text("西陵区测试路3号")
    expect(need).to_contain_text("约 4 天")
    expect(need.locator(".checklist li")).to_contain_text(["计量器具", "上次检定"])
    expect(slip.locator(".slip-sign")).to_contain_text("窗口经办人")
    snap(page, shots, "slip-01-screen")

    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("#print-btn")
    assert page.evaluate("window.__printed") is True
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#print-btn")).to_be_hidden()
    expect(slip).to_be_visible()
    snap(page, shots, "slip-02-print")
    page.emulate_media(media="screen")

    # The board: 受理 → 已转介 → 机构已受理 → 办结 → 已回访.
    page.click(".site-nav >> text=工单看板")
    expect(page).to_have_url(re.compile(r"/board"))
    card = ticket_card(page, ticket_id)
    expect(card).to_have_attribute("data-status", "受理")
    expect(card.locator(".override-note")).to_contain_text("就近送检")
    expect(page.locator(".column[data-status='受理'] .count")).not_to_have_text("0")
    snap(page, shots, "board-01-new-ticket")
    for step, status in enumerate(["已转介", "机构已受理", "办结", "已回访"], start=1):
        ticket_card(page, ticket_id).locator(".next-btn").click()
        card = page.locator(
            f".column[data-status='{status}'] .ticket-card[data-ticket-id='{ticket_id}']"
        )
        expect(card).to_be_visible()
        expect(page.locator("#flash")).to_contain_text(f"已更新为“{status}”")
        if step == 2:
            snap(page, shots, "board-02-in-progress")
    expect(card.locator(".next-btn")).to_have_count(0)
    expect(card.locator(".done")).to_have_text("已完结")
    assert store.get(ticket_id).status == "已回访"
    assert [e.to_status for e in store.get(ticket_id).events] == [
        "受理",
        "已转介",
        "机构已受理",
        "办结",
        "已回访",
    ]

    # Feedback: rating, institution finally used, reason, comment.
    card.locator(".feedback summary").click()
    form = card.locator(".feedback-form")
    form.locator("select[name=rating]").select_option("4")
    form.locator("select[name=institution_used]").select_option(second_id)
    form.locator("input[name=override_reason]").fill("就近")
    form.locator("textarea[name=comment]").fill("办得很快，下次还来")
    snap(page, shots, "board-03-feedback-form")
    form.locator("button[type=submit]").click()
    expect(form.locator(".fb-msg")).to_contain_text("已记录反馈")
    fb = store.get(ticket_id).feedback
    assert [(f.rating, f.institution_used, f.override_reason, f.comment) for f in fb] == [
        (4, second_id, "就近", "办得很快，下次还来")
    ]
    snap(page, shots, "board-04-closed-with-feedback")

    # The slip is still reachable from the board.
    card.locator("a.btn", has_text="告知单").click()
    expect(page.locator("#slip-no")).to_have_text(f"{ticket_id:06d}")


def test_bundle_of_two_needs_with_default_choices(page, live_server, shots):
    page.goto(live_server.url + "/console")
    set_key(page, live_server.clerk_key)
    run_match(page, "想注册商标再做个团体标准", "湖南省长沙市")
    expect(page.locator("#bundle .need-card")).to_have_count(2)
    ip, std = need_card(page, "ip"), need_card(page, "standards")
    expect(ip.locator(".need-sub")).to_have_text("商标")
    expect(std.locator(".need-span-text")).to_have_text("再做个团体标准")
    expect(std.locator(".ref").first).to_have_attribute("data-resource-id", "T-STD-CS")
    expect(std.locator(".ref").first.locator(".badge.loc-same_city")).to_be_visible()
    expect(std.locator(".evidence mark").first).to_have_text("团体标准")
    expect(ip.locator(".ref").first.locator(".badge.loc-elsewhere")).to_have_text("外地")
    # each need's span is marked in the normalised text
    expect(page.locator("#norm-text .need-span")).to_have_count(2)
    snap(page, shots, "console-04-bundle")

    # The request changed after matching: the ticket would not match what was shown.
    page.fill("#req-text", "想注册商标")
    expect(page.locator("#stale-note")).to_be_visible()
    expect(page.locator("#create-ticket")).to_be_disabled()
    page.fill("#req-text", "想注册商标再做个团体标准")
    expect(page.locator("#create-ticket")).to_be_enabled()

    page.click("#create-ticket")
    made = page.locator("#ticket-result .ticket-made")
    expect(made).to_be_visible()
    ticket_id = int(made.locator(".ticket-no").get_attribute("data-ticket-id"))
    t = live_server.store.get(ticket_id)
    assert sorted((r.category, r.institution_id, r.rank) for r in t.referrals) == [
        ("ip", "T-IP-WH", 1),
        ("standards", "T-STD-CS", 1),
    ]
    page.click("#slip-link")
    expect(page.locator("#slip .slip-need")).to_have_count(2)
    expect(page.locator("#slip")).to_contain_text("商标图样")
    expect(page.locator("#slip")).to_contain_text("小微")
    snap(page, shots, "slip-03-two-needs")


def test_review_reasons_and_abstain(page, live_server, shots):
    page.goto(live_server.url + "/console")
    run_match(page, "南山区的工厂要做锂电池UN38.3检测", "")
    review = page.locator("#review")
    expect(review).to_be_visible()
    expect(review).to_contain_text("需人工复核")
    expect(review.locator("li")).to_contain_text(["地区不明确"])
    expect(page.locator("#entities")).to_contain_text("地区不明确")
    snap(page, shots, "console-05-needs-review")

    run_match(page, "想做个品牌价值评价", "湖北省武汉市")
    expect(page.locator("#review li")).to_contain_text(["无可转介机构"])
    expect(need_card(page, "brand").locator(".no-ref")).to_be_visible()
    expect(page.locator("#ticket-box")).to_be_hidden()
    snap(page, shots, "console-06-no-institution")

    run_match(page, "今天天气不错，中午吃什么", "湖北省武汉市")
    abstain = page.locator("#abstain")
    expect(abstain).to_be_visible()
    expect(abstain).to_contain_text("未识别到")
    expect(page.locator("#bundle .need-card")).to_have_count(0)
    expect(page.locator("#ticket-box")).to_be_hidden()
    # 首问负责: the clerk is told where the request belongs, with a real national hotline.
    expect(abstain.locator(".route")).to_be_visible()
    expect(abstain.locator(".route")).to_contain_text("请转至")
    expect(abstain.locator(".route")).to_contain_text("123")
    snap(page, shots, "console-07-abstain")

    run_match(page, "个人所得税怎么申报", "湖北省武汉市")
    expect(abstain.locator(".route")).to_have_attribute("data-route", "tax")
    expect(abstain.locator(".route")).to_contain_text("12366")

    # A declined service stays visible but gets no card and no referral.
    run_match(page, "客户只要测试报告，不需要CE证书", "湖北省武汉市")
    expect(abstain.locator(".not-wanted")).to_contain_text("不需要")
    expect(page.locator('#bundle .need-card[data-category="certification"]')).to_have_count(0)
    snap(page, shots, "console-08-not-wanted")


# --------------------------------------------------------------------------- the board


def test_board_overdue_filter_and_conflict(page, live_server, shots):
    store = live_server.store
    late = make_ticket(store, text="电子天平要校准", enterprise="逾期测试有限公司", days_ago=40)
    fresh = make_ticket(store, text="燃油加油机要检定", enterprise="并发测试有限公司")

    page.goto(live_server.url + "/board")
    expect(page.locator("#board-status")).to_contain_text("窗口密钥")  # no key yet
    set_key(page, live_server.clerk_key)
    late_card, fresh_card = ticket_card(page, late.id), ticket_card(page, fresh.id)
    expect(late_card).to_have_class(re.compile(r"\boverdue\b"))
    expect(late_card.locator(".overdue-badge")).to_have_text("已超期")
    expect(fresh_card).not_to_have_class(re.compile(r"\boverdue\b"))
    expect(page.locator("#b-counts .count-chip.total strong")).not_to_have_text("0")
    snap(page, shots, "board-05-overdue-highlighted")

    board_change(page, lambda: page.check("#b-overdue"))
    expect(page).to_have_url(re.compile(r"overdue=true"))
    expect(late_card).to_be_visible()
    expect(fresh_card).to_have_count(0)
    cards = page.locator("#board .ticket-card")
    assert cards.count() >= 1
    assert all("overdue" in (c.get_attribute("class") or "") for c in cards.all())
    snap(page, shots, "board-06-only-overdue")
    board_change(page, lambda: page.uncheck("#b-overdue"))

    board_change(page, lambda: page.select_option("#b-status", "受理"))
    expect(fresh_card).to_be_visible()
    assert page.locator("#board .ticket-card:not([data-status='受理'])").count() == 0
    board_change(page, lambda: page.select_option("#b-status", ""))

    # Someone else moves the ticket while this page shows version 1: 409, reload, say so.
    expect(fresh_card).to_have_attribute("data-status", "受理")
    store.change_status(fresh.id, "已转介", actor="other-clerk", role="clerk", expected_version=1)
    fresh_card.locator(".next-btn").click()
    expect(page.locator("#flash")).to_contain_text("已被他人修改")
    expect(
        page.locator(f".column[data-status='已转介'] .ticket-card[data-ticket-id='{fresh.id}']")
    ).to_be_visible()
    assert store.get(fresh.id).status == "已转介", "the stale click changed nothing"
    snap(page, shots, "board-07-conflict")


# --------------------------------------------------------------------------- SME self-search


def test_search_filters_and_institution_page(page, live_server, shots):
    page.goto(live_server.url + "/search")
    expect(page.locator(".site-nav a.active")).to_have_text("企业查询")
    expect(page.locator("#s-category option")).to_have_count(9)

    page.fill("#s-q", "压力表")
    page.fill("#s-region", "湖北省武汉市")
    page.click("#search-btn")
    results = page.locator("#search-results .result-card")
    expect(results.first).to_be_visible()
    assert results.count() >= 3
    expect(results.first.locator(".badge.loc-same_city")).to_have_text("同城")
    expect(results.first.locator(".evidence mark").first).to_have_text("压力表")
    snap(page, shots, "search-01-query")

    # accreditation filter: only the CNAS-accredited metrology institute holds 压力表
    page.fill("#s-accreditation", "CNAS")
    page.click("#search-btn")
    expect(results).to_have_count(1)
    expect(results.first).to_have_attribute("data-resource-id", "T-MET-WH")
    expect(page).to_have_url(re.compile(r"accreditation=CNAS"))
    snap(page, shots, "search-02-cnas")

    # category + 小微优惠 + 仅线上, no words
    page.fill("#s-q", "")
    page.fill("#s-accreditation", "")
    page.select_option("#s-category", "ip")
    page.check("#s-discount")
    page.check("#s-online")
    page.click("#search-btn")
    expect(results).to_have_count(1)
    expect(results.first).to_have_attribute("data-resource-id", "T-IP-WH")
    expect(results.first.locator(".badge.online")).to_have_text("线上")
    expect(results.first.locator(".badge.discount")).to_have_text("小微优惠")
    snap(page, shots, "search-03-category-filters")

    # a reload keeps the query (it is in the URL)
    page.reload()
    expect(page.locator("#s-category")).to_have_value("ip")
    expect(page.locator("#s-online")).to_be_checked()
    expect(results).to_have_count(1)

    results.first.locator("a.ref-name").click()
    expect(page).to_have_url(re.compile(r"/resource/T-IP-WH$"))
    expect(page.locator(".site-nav a.active")).to_have_text("企业查询")
    expect(page.locator("#res-kind .rtype-badge")).to_have_text("机构")
    expect(page.locator("#res-name")).to_have_text("武汉测试知识产权代理有限公司（测试）")
    details = page.locator("#res-details")
    expect(details).to_contain_text("027-00001010")
    expect(details).to_contain_text("专利代理机构执业许可")
    groups = page.locator("#capabilities details.cap-group")
    expect(groups).to_have_count(1)
    expect(groups.first).to_have_attribute("open", "")
    expect(groups.first.locator("tbody tr")).to_have_count(2)
    expect(groups.first.locator("summary")).to_contain_text("知识产权")
    snap(page, shots, "institution-01")
    groups.first.locator("summary").click()  # collapsible
    expect(groups.first.locator("table")).to_be_hidden()

    page.click("#back-link")
    expect(page).to_have_url(re.compile(r"/search\?.*category=ip"))
    expect(results).to_have_count(1)

    page.goto(live_server.url + "/institution/T-MET-WH")  # the old address still works
    expect(page).to_have_url(re.compile(r"/resource/T-MET-WH$"))
    expect(page.locator("#res-details")).to_contain_text("CNAS")
    expect(page.locator("#capabilities tbody tr")).to_have_count(3)
    expect(page.locator("#capabilities")).to_contain_text("JJG 52-2013")
    snap(page, shots, "institution-02-metrology")

    page.goto(live_server.url + "/resource/NO-SUCH-INST")
    expect(page.locator("#res-status")).to_contain_text("未找到该机构、专家或共享仪器")


# --------------------------------------------------------------------------- experts, instruments


def test_instrument_request_ticket_slip_and_pages(page, live_server, shots):
    """A request to rent an instrument is served by shared instruments: their cards, a ticket
    whose choice is the instrument's id, a slip from the snapshot with the instrument's
    checklist, the board, and the instrument's page with a link to its owner."""
    page.goto(live_server.url + "/console")
    set_key(page, live_server.clerk_key)
    run_match(page, "仪器太贵买不起，想租气相色谱质谱联用仪", "湖北省武汉市")
    card = need_card(page, "testing")
    expect(card).to_have_attribute("data-resource-type", "instrument")
    expect(card.locator(".need-rtype")).to_have_text("由共享仪器承办")
    first = card.locator(".ref").first
    expect(first).to_have_attribute("data-resource-id", "Q-GCMS-WH")
    expect(first.locator("input[type=radio]")).to_have_value("Q-GCMS-WH")
    expect(first.locator(".rtype-badge")).to_have_text("共享仪器")
    expect(first.locator(".ref-name")).to_have_text("气相色谱质谱联用仪")
    expect(first.locator(".ref-type")).to_have_text("型号：台式 / 四极杆")
    spec = first.locator(".spec")
    expect(spec.locator(".spec-owner")).to_have_text("所属机构：武汉测试电器检测有限公司（测试）")
    expect(spec.locator(".spec-price")).to_have_text("收费：800 元/小时")
    expect(spec.locator(".spec-booking")).to_have_text("预约：平台在线预约")
    expect(first.locator(".badge.operated")).to_have_text("可代检代测")
    expect(first.locator(".badge.loc-same_city")).to_be_visible()
    expect(first.locator("a.ref-link")).to_have_text("仪器详情")
    expect(first.locator("a.ref-link")).to_have_attribute("href", "/resource/Q-GCMS-WH")
    other = card.locator(".ref[data-resource-id='Q-GCMS-CS']")
    expect(other.locator(".spec-price")).to_have_text("收费：500 元/小时")
    expect(other.locator(".spec-booking")).to_have_text("预约：电话预约")
    snap(page, shots, "instrument-01-console")

    ticket_id = create_ticket(page)
    t = live_server.store.get(ticket_id)
    (ref,) = t.referrals
    assert (ref.category, ref.institution_id, ref.resource_type, ref.rank) == (
        "testing",
        "Q-GCMS-WH",
        "instrument",
        1,
    )
    assert ref.snapshot["phone"] == "027-00004444"

    calls = open_slip(page, ticket_id)
    assert [u for u in calls if "/api/v1/tickets/" not in u] == [], calls
    need = page.locator("#slip .slip-need")
    expect(need).to_have_count(1)
    expect(need).to_have_attribute("data-resource-type", "instrument")
    expect(need.locator("h3 .slip-rtype")).to_have_text("共享仪器")
    expect(need).to_contain_text("气相色谱质谱联用仪（型号：台式 / 四极杆）")
    expect(need).to_contain_text("武汉测试电器检测有限公司（测试）")
    expect(need.locator(".slip-phone td")).to_have_text("027-00004444")
    expect(need).to_contain_text("800 元/小时")
    expect(need).to_contain_text("平台在线预约")
    expect(need).to_contain_text("可委托机构代检代测")
    expect(need.locator(".checklist li")).to_contain_text(
        ["样品及数量", "测试条件与方法", "预约时段", "是否需操作培训"]
    )
    snap(page, shots, "instrument-02-slip")

    page.goto(live_server.url + "/board")
    item = ticket_card(page, ticket_id).locator(".ticket-refs li")
    expect(item).to_have_attribute("data-resource-type", "instrument")
    expect(item.locator(".rtype-badge")).to_have_text("共享仪器")
    expect(item).to_contain_text("气相色谱质谱联用仪")

    # The instrument's page, and its owner's.
    page.goto(live_server.url + "/resource/Q-GCMS-WH")
    expect(page.locator("#res-kind .rtype-badge")).to_have_text("共享仪器")
    expect(page.locator("#res-name")).to_have_text("气相色谱质谱联用仪")
    expect(page.locator("#res-sub")).to_have_text("型号：台式 / 四极杆")
    expect(page.locator("#res-badges .badge.operated")).to_have_text("可代检代测")
    details = page.locator("#res-details")
    expect(details.locator("[data-field=model]")).to_have_text("台式 / 四极杆")
    expect(details.locator("[data-field=measures] .chip")).to_have_text(
        ["挥发性有机物定性定量", "农药残留筛查"]
    )
    expect(details.locator("[data-field=price]")).to_have_text("800 元/小时")
    expect(details.locator("[data-field=booking]")).to_have_text("平台在线预约")
    expect(details.locator("[data-field=phone]")).to_have_text("027-00004444")
    expect(page.locator("#cap-title")).to_have_text("共享服务")
    expect(page.locator("#capabilities tbody tr")).to_have_count(1)
    expect(page.locator("#capabilities thead th")).to_have_text(["项目", "子类", "型号", "说明"])
    expect(page).to_have_title(re.compile("仪器详情"))
    snap(page, shots, "instrument-03-page")
    owner = page.locator("#owner-link")
    expect(owner).to_have_text("武汉测试电器检测有限公司（测试）")
    owner.click()
    expect(page).to_have_url(re.compile(r"/resource/T-LAB-WH$"))
    expect(page.locator("#res-kind .rtype-badge")).to_have_text("机构")
    expect(page.locator("#res-details")).to_contain_text("CMA")
    expect(page.locator("#cap-title")).to_have_text("能力范围")


def test_expert_request_ticket_slip_and_pages(page, live_server, shots):
    """A request for an expert and a lab: an expert card and an institution card in one
    bundle, a ticket with both, the slip with each one's checklist, the board, the industry
    match badge, and the expert's page."""
    page.goto(live_server.url + "/console")
    set_key(page, live_server.clerk_key)
    run_match(page, "产品返修率高，想请专家诊断，再找实验室复测", "湖北省武汉市")
    expect(page.locator("#bundle .need-card")).to_have_count(2)
    quality, testing = need_card(page, "quality"), need_card(page, "testing")
    expect(quality).to_have_attribute("data-resource-type", "expert")
    expect(quality.locator(".need-rtype")).to_have_text("由专家承办")
    expect(testing).to_have_attribute("data-resource-type", "institution")

    expert = quality.locator(".ref").first
    expect(expert).to_have_attribute("data-resource-id", "X-QUAL-WH")
    expect(expert.locator(".rtype-badge")).to_have_text("专家")
    expect(expert.locator(".ref-name")).to_have_text("测试专家甲（测试）")
    expect(expert.locator(".ref-type")).to_have_text("高级工程师 · 武汉市某高校")
    expect(expert.locator(".spec-field")).to_have_text("领域：质量诊断与技术帮扶")
    expect(expert.locator(".badge.avail-available")).to_have_text("可约")
    expect(expert.locator(".badge.mode")).to_have_text(["上门"])
    expect(expert.locator(".badge.industry-match")).to_have_count(0)  # no industry in the text
    expect(expert.locator(".badge.discount")).to_have_count(0)
    expect(expert.locator(".facts")).to_contain_text("所在地：湖北省武汉市洪山区")
    expect(expert.locator("a.ref-link")).to_have_text("专家详情")
    busy = quality.locator(".ref[data-resource-id='X-QUAL-CS']")
    expect(busy.locator(".badge.avail-unavailable")).to_have_text("暂不可约")
    expect(busy.locator(".badge.loc-elsewhere")).to_be_visible()
    lab = testing.locator(".ref[data-resource-id='T-LAB-WH']")
    expect(lab.locator(".rtype-badge")).to_have_text("机构")
    expect(lab.locator(".ref-type")).to_have_text("第三方检验检测机构")
    snap(page, shots, "expert-01-console")

    pick(testing, "T-LAB-WH", reason="企业在武汉，就近复测")
    ticket_id = create_ticket(page)
    t = live_server.store.get(ticket_id)
    assert sorted((r.category, r.institution_id, r.resource_type) for r in t.referrals) == [
        ("quality", "X-QUAL-WH", "expert"),
        ("testing", "T-LAB-WH", "institution"),
    ]

    calls = open_slip(page, ticket_id)
    assert [u for u in calls if "/api/v1/tickets/" not in u] == [], calls
    expect(page.locator("#slip .slip-need")).to_have_count(2)
    ex = page.locator("#slip .slip-need[data-resource-type=expert]")
    expect(ex.locator("h3")).to_contain_text("质量")
    expect(ex).to_contain_text("承办专家")
    expect(ex).to_contain_text("测试专家甲（测试）（高级工程师）")
    expect(ex).to_contain_text("武汉市某高校")
    expect(ex).to_contain_text("上门")
    expect(ex.locator(".slip-phone td")).to_have_text("027-00002001")
    expect(ex.locator(".checklist li")).to_contain_text(
        ["问题描述与产品资料", "现场条件", "期望时间"]
    )
    inst = page.locator("#slip .slip-need[data-resource-type=institution]")
    expect(inst).to_contain_text("武汉测试电器检测有限公司（测试）")
    expect(inst.locator(".slip-phone td")).to_have_text("027-00004444")
    expect(inst.locator(".checklist")).to_contain_text("检验检测委托单")
    expect(inst.locator(".checklist")).not_to_contain_text("期望时间")
    snap(page, shots, "expert-02-slip")

    page.goto(live_server.url + "/board")
    items = ticket_card(page, ticket_id).locator(".ticket-refs li")
    label = {"expert": "专家", "institution": "机构"}
    expect(items.locator(".rtype-badge")).to_have_text(
        [label[r.resource_type] for r in t.referrals]
    )
    expect(ticket_card(page, ticket_id).locator(".override-note")).to_have_count(
        sum(1 for r in t.referrals if r.override_reason)
    )
    snap(page, shots, "expert-03-board")

    # An enterprise whose industry the text names: the expert who knows it says so.
    page.goto(live_server.url + "/console")
    run_match(page, "我们是做电热水壶的，产品返修率高，想请专家诊断", "湖北省武汉市")
    expect(page.locator("#entities")).to_contain_text("C38 电气机械和器材制造业")
    first = need_card(page, "quality").locator(".ref").first
    expect(first.locator(".badge.industry-match")).to_have_text("熟悉贵企业行业")
    snap(page, shots, "expert-04-industry-match")

    # The expert's page: profile, industries as GB/T 4754 divisions, contact and lines.
    href = first.locator("a.ref-link").get_attribute("href")
    assert href == "/resource/X-QUAL-WH"
    page.goto(live_server.url + href)
    expect(page.locator("#res-kind .rtype-badge")).to_have_text("专家")
    expect(page.locator("#res-name")).to_have_text("测试专家甲（测试）")
    expect(page.locator("#res-sub")).to_have_text("高级工程师 · 武汉市某高校")
    expect(page.locator("#res-badges .badge.avail-available")).to_have_text("可约")
    d = page.locator("#res-details")
    expect(d.locator("[data-field=title]")).to_have_text("高级工程师")
    expect(d.locator("[data-field=affiliation]")).to_have_text("武汉市某高校")
    expect(d.locator("[data-field=field]")).to_have_text("质量诊断与技术帮扶")
    expect(d.locator("[data-field=topics] .chip")).to_have_text(
        ["工艺参数优化", "返修率分析", "小微企业质量提升"]
    )
    expect(d.locator("[data-field=industries] .chip")).to_have_text(
        ["C33 金属制品业", "C38 电气机械和器材制造业"]
    )
    expect(d.locator("[data-field=services] .chip")).to_have_text(["现场诊断", "整改指导"])
    expect(d.locator("[data-field=availability]")).to_have_text("可约")
    expect(d.locator("[data-field=modes]")).to_have_text("上门")
    expect(d.locator("[data-field=phone]")).to_have_text("027-00002001")
    expect(d.locator("[data-field=email]")).to_have_text("x1@example.com")
    expect(page.locator("#cap-title")).to_have_text("服务方向")
    expect(page.locator("#capabilities tbody tr")).to_have_count(3)
    expect(page.locator("#capabilities thead th")).to_have_text(["项目", "子类", "说明"])
    expect(page).to_have_title(re.compile("专家详情"))
    snap(page, shots, "expert-05-page")


def test_search_type_filter(page, live_server, shots):
    """The SME search filters by resource type (sent as resource_type) and shows each type's
    card; the type is kept in the address."""
    page.goto(live_server.url + "/search")
    expect(page.locator("#s-type input[name=resource_type]")).to_have_count(4)
    expect(page.locator("#s-type label")).to_have_text(["全部", "机构", "专家", "共享仪器"])
    expect(page.locator("#s-type input[value='']")).to_be_checked()
    results = page.locator("#search-results .result-card")

    status = page.locator("#search-status")
    page.fill("#s-q", "农药残留")
    page.fill("#s-region", "湖北省武汉市")
    page.click("#search-btn")
    expect(status).to_have_text(re.compile(r"^找到 \d+ 个结果（机构 \d+ · 共享仪器 \d+）"))
    kinds = {c.get_attribute("data-resource-type") for c in results.all()}
    assert kinds == {"institution", "instrument"}, kinds
    snap(page, shots, "search-04-all-types")

    with page.expect_response(lambda r: "/api/v1/search?" in r.url) as resp:
        search_type(page, "共享仪器")
    assert "resource_type=instrument" in resp.value.url
    expect(page).to_have_url(re.compile(r"resource_type=instrument"))
    expect(status).to_have_text(re.compile(r"^找到 \d+ 个结果（共享仪器 \d+）"))
    assert results.count() >= 2
    for card in results.all():
        expect(card).to_have_attribute("data-resource-type", "instrument")
        expect(card.locator(".rtype-badge")).to_have_text("共享仪器")
    wh = page.locator("#search-results .result-card[data-resource-id='Q-GCMS-WH']")
    expect(wh.locator(".spec-price")).to_have_text("收费：800 元/小时")
    expect(wh.locator(".badge.operated")).to_have_text("可代检代测")
    expect(wh.locator(".badge.loc-same_city")).to_be_visible()
    expect(wh.locator("a.owner-link")).to_have_attribute("href", "/resource/T-LAB-WH")
    snap(page, shots, "search-05-instruments")

    page.fill("#s-q", "返修率")
    with page.expect_response(lambda r: "/api/v1/search?" in r.url) as resp:
        search_type(page, "专家")
    assert "resource_type=expert" in resp.value.url
    expect(status).to_have_text(re.compile(r"^找到 2 个结果（专家 2）"))
    ids = [c.get_attribute("data-resource-id") for c in results.all()]
    assert set(ids) == {"X-QUAL-WH", "X-QUAL-CS"}, ids
    for card in results.all():
        expect(card.locator(".rtype-badge")).to_have_text("专家")
    expect(
        page.locator("#search-results .result-card[data-resource-id='X-QUAL-CS'] .badge.avail")
    ).to_have_text("暂不可约")
    snap(page, shots, "search-06-experts")

    with page.expect_response(lambda r: "/api/v1/search?" in r.url) as resp:
        search_type(page, "机构")
    assert "resource_type=institution" in resp.value.url
    expect(status).to_have_text(re.compile(r"（机构 \d+）|未找到与“返修率”相关的机构"))
    for card in results.all():
        expect(card).to_have_attribute("data-resource-type", "institution")

    with page.expect_response(lambda r: "/api/v1/search?" in r.url) as resp:
        search_type(page, "全部")
    assert "resource_type" not in resp.value.url
    expect(page).not_to_have_url(re.compile(r"resource_type"))
    expect(status).to_contain_text("专家 2")

    # the type survives a reload, and a result opens its page
    search_type(page, "专家")
    expect(page).to_have_url(re.compile(r"resource_type=expert"))
    page.reload()
    expect(page.locator("#s-type input[value=expert]")).to_be_checked()
    expect(results.first).to_be_visible()
    page.locator("#search-results .result-card[data-resource-id='X-QUAL-WH'] a.ref-name").click()
    expect(page).to_have_url(re.compile(r"/resource/X-QUAL-WH$"))
    expect(page.locator("#res-name")).to_have_text("测试专家甲（测试）")
    page.click("#back-link")
    expect(page).to_have_url(re.compile(r"/search\?.*resource_type=expert"))


# --------------------------------------------------------------------------- security


def test_hostile_text_is_rendered_inert(page, live_server, watch, shots):
    """Markup in a request, an override reason, a ticket or a query shows as text: no element is
    created from it, no handler runs, no dialog fires."""
    store = live_server.store
    page.goto(live_server.url + "/console")
    set_key(page, live_server.clerk_key)
    # Raw tags, and entity-escaped ones that the server's normaliser turns back into tags.
    text = f"{XSS_IMG}想注册商标{XSS_SCRIPT} &lt;img src=x onerror=alert(2)&gt;再做个团体标准"
    run_match(page, text, "湖南省长沙市")
    expect(page.locator("#bundle .need-card")).to_have_count(2)
    expect(page.locator("#norm-text")).to_contain_text("<img src=x onerror=alert(2)>")
    assert page.locator("#result img, #result script").count() == 0
    snap(page, shots, "xss-01-console")

    page.click("#create-ticket")
    made = page.locator("#ticket-result .ticket-made")
    expect(made).to_be_visible()
    ticket_id = int(made.locator(".ticket-no").get_attribute("data-ticket-id"))

    # Text that reaches pages unnormalised: enterprise, request text and override reason.
    raw = make_ticket(
        store,
        text=f"{XSS_IMG}{XSS_SCRIPT}压力表",
        enterprise=f"<b>{XSS_IMG}</b>有限公司",
        rank=2,
        institution_id="T-MET-YC",
        institution_name=f"{XSS_IMG}宜昌",
        override_reason=f"{XSS_SCRIPT}{XSS_IMG}",
    )
    page.goto(live_server.url + "/board")
    card = ticket_card(page, raw.id)
    expect(card.locator(".enterprise")).to_have_text(f"<b>{XSS_IMG}</b>有限公司")
    expect(card.locator(".req")).to_have_text(f"{XSS_IMG}{XSS_SCRIPT}压力表")
    expect(card.locator(".override-note")).to_contain_text(XSS_SCRIPT)
    expect(ticket_card(page, ticket_id)).to_be_visible()
    assert page.locator("#board img, #board script, #board b").count() == 0
    snap(page, shots, "xss-02-board")

    page.goto(f"{live_server.url}/slip/{raw.id}")
    expect(page.locator("#slip-enterprise")).to_have_text(f"<b>{XSS_IMG}</b>有限公司")
    expect(page.locator("#slip-text")).to_have_text(f"{XSS_IMG}{XSS_SCRIPT}压力表")
    expect(page.locator("#slip .slip-need")).to_contain_text(f"{XSS_IMG}宜昌")
    # a ticket from before snapshots: the name it stored, contact from the window
    expect(page.locator("#slip .slip-need")).to_contain_text("请向窗口咨询")
    assert page.locator("#slip img, #slip script, #slip b").count() == 0
    snap(page, shots, "xss-03-slip")

    page.goto(live_server.url + "/search")
    page.fill("#s-q", f"{XSS_IMG}{XSS_SCRIPT}")
    page.click("#search-btn")
    expect(page.locator("#search-status")).to_contain_text(XSS_IMG)
    assert page.locator("main img, main script").count() == 0
    snap(page, shots, "xss-04-search")

    # An institution id in the path ends up in a Jinja2 attribute (autoescaped) and the API URL.
    page.goto(live_server.url + "/institution/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(3)%3E")
    expect(page.locator("#res-status")).to_contain_text("未找到")
    assert page.locator("main img").count() == 0

    page.wait_for_timeout(300)  # give any injected handler a chance to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("typeof window._xss") == "undefined"
    assert watch.dialogs == []


def hostile(x: dict) -> dict:
    """Markup in every text field of a referral, search result, resource or snapshot (in place):
    names, contact and the expert's and instrument's details."""
    for k in ("resource_name", "institution_name", "name", "institution_type", "type"):
        if k in x:
            x[k] = f"{XSS_IMG}{k}"
    for k in ("address", "phone", "email"):
        x[k] = f"{XSS_SCRIPT}{k}"
    d = x.setdefault("details", {}) or {}
    for k in ("title", "affiliation", "field", "model", "booking_channel", "owner"):
        d[k] = f"{XSS_IMG}{k}"
    d["availability"] = XSS_SCRIPT  # an unknown value is shown as it is
    d["price_unit"] = XSS_IMG
    for k in ("sub_fields", "services", "measures", "modes", "industries"):
        d[k] = [f"{XSS_IMG}{k}"]
    x["details"] = d
    return x


XSS_TONE = 'x" onmouseover="window.__xss=1'  # a class token that tries to leave its attribute
XSS_HREF = "javascript:alert(4)"


def hostile_card(x: dict) -> dict:
    """Markup in every field of the object's ``card`` (in place): the display strings the server
    makes for the resource's kind (subtitle, facts, place, badges, profile rows and chips, the
    slip's rows and checklist), CSS tokens and link targets included."""
    x["card"] = {
        "subtitle": f"{XSS_IMG}subtitle",
        "facts": [
            {
                "label": XSS_SCRIPT,
                "value": f"{XSS_IMG}fact",
                "key": XSS_TONE,
                "resource_id": XSS_HREF,
            },
            {
                "label": f"{XSS_IMG}label",
                "value": f"{XSS_SCRIPT}value",
                "key": "owner",
                "resource_id": XSS_HREF,
            },
        ],
        "place": {"label": XSS_SCRIPT, "value": f"{XSS_IMG}place"},
        "badges": [{"text": f"{XSS_IMG}badge", "tone": XSS_TONE, "title": XSS_IMG}],
        "rows": [
            {
                "label": f"{XSS_IMG}row",
                "key": "owner",
                "value": f"{XSS_IMG}owner",
                "resource_id": XSS_HREF,
            },
            {"label": XSS_SCRIPT, "key": XSS_TONE, "value": f"{XSS_IMG}value"},
            {
                "label": XSS_SCRIPT,
                "key": "chips",
                "chips": [{"text": f"{XSS_IMG}chip", "tone": XSS_TONE, "title": XSS_IMG}],
            },
        ],
        "name_note": f"{XSS_IMG}note",
        "slip_rows": [
            {"label": XSS_SCRIPT, "value": f"{XSS_IMG}slip"},
            {"label": f"{XSS_IMG}联系电话", "value": f"{XSS_SCRIPT}phone", "key": "phone"},
            {"label": XSS_SCRIPT, "value": f"{XSS_IMG}key", "key": XSS_TONE},
        ],
        "checklist_extra": [f"{XSS_IMG}checklist"],
    }
    return x


def rewrite(page, pattern: str, change) -> None:
    """Answer the page's requests to ``pattern`` with the real response changed by ``change``."""

    def handle(route):
        resp = route.fetch()
        data = resp.json()
        change(data)
        route.fulfill(response=resp, json=data)

    page.route(pattern, handle)


def assert_inert(page, scope: str, expected: str = XSS_IMG) -> None:
    expect(page.locator(scope)).to_contain_text(expected)
    assert page.locator(f"{scope} img, {scope} script").count() == 0


def test_hostile_resource_fields_are_rendered_inert(page, live_server, watch, shots):
    """The expert's and instrument's fields (names, title, affiliation, model, owner, booking
    channel, topics …) from matches, searches, resources and ticket snapshots show as text, and
    so does every display string of their cards (made by the server for the kind)."""
    store = live_server.store
    rewrite(
        page,
        "**/api/v1/match",
        lambda d: [hostile_card(hostile(r)) for b in d["bundle"] for r in b["referrals"]],
    )
    rewrite(page, "**/api/v1/search?*", lambda d: [hostile_card(hostile(r)) for r in d["results"]])

    def hostile_resource(d):
        hostile_card(hostile(d))
        d["institution_id"] = XSS_HREF
        for c in d["capabilities"]:
            for k in ("object", "item", "description", "accuracy", "standard"):
                c[k] = f"{XSS_IMG}{k}"

    rewrite(page, "**/api/v1/resources/*", hostile_resource)

    page.goto(live_server.url + "/console")
    run_match(page, "产品返修率高，想请专家诊断，再找实验室复测", "湖北省武汉市")
    assert_inert(page, "#bundle .need-card[data-resource-type=expert]")
    first = page.locator("#bundle .ref-expert").first
    expect(first.locator(".ref-type")).to_have_text(f"{XSS_IMG}subtitle")
    expect(first.locator(".spec")).to_contain_text(f"{XSS_SCRIPT}：{XSS_IMG}fact")
    expect(first.locator(".facts")).to_contain_text(f"{XSS_SCRIPT}：{XSS_IMG}place")
    expect(first.locator(".badge", has_text=f"{XSS_IMG}badge")).to_have_count(1)
    assert first.locator(".spec a").count() == 0  # no links inside the radio's label
    snap(page, shots, "xss-05-console-expert")
    run_match(page, "仪器太贵买不起，想租气相色谱质谱联用仪", "湖北省武汉市")
    assert_inert(page, "#bundle .need-card[data-resource-type=instrument]")
    expect(page.locator("#bundle .ref-instrument").first).to_contain_text(f"{XSS_IMG}fact")
    assert page.locator("#result img, #result script").count() == 0

    page.goto(live_server.url + "/search?q=%E6%B0%94%E7%9B%B8%E8%89%B2%E8%B0%B1")  # 气相色谱
    expect(page.locator("#search-results .result-card").first).to_be_visible()
    assert_inert(page, "#search-results")
    page.goto(live_server.url + "/search?q=%E8%BF%94%E4%BF%AE&resource_type=expert")  # 返修
    expect(page.locator("#search-results .result-card").first).to_be_visible()
    assert_inert(page, "#search-results", f"{XSS_IMG}subtitle")
    link = page.locator("#search-results .result-card").first.locator(".spec a.owner-link")
    expect(link).to_have_text(f"{XSS_SCRIPT}value")
    expect(link).to_have_attribute("href", "/resource/javascript%3Aalert(4)")
    assert page.locator("main [onmouseover]").count() == 0

    for rid in ("X-QUAL-WH", "Q-GCMS-WH"):
        page.goto(f"{live_server.url}/resource/{rid}")
        expect(page.locator("#resource")).to_be_visible()
        assert_inert(page, "#resource")
        expect(page.locator("#res-sub")).to_have_text(f"{XSS_IMG}subtitle")
        expect(page.locator("#res-details .chip")).to_have_text([f"{XSS_IMG}chip"])
        assert page.locator("main img, main script, main [onmouseover]").count() == 0
    owner = page.locator("#owner-link")
    expect(owner).to_have_attribute("href", "/resource/javascript%3Aalert(4)")
    snap(page, shots, "xss-06-instrument-page")

    page.unroute("**/api/v1/match")
    page.unroute("**/api/v1/search?*")
    page.unroute("**/api/v1/resources/*")

    # Snapshots are stored with the ticket: markup in them stays text on the board and slip.
    expert = make_ticket(
        store,
        text="返修率高",
        category="quality",
        sub_service="quality.evaluation",
        institution_id="X-QUAL-WH",
        institution_name=f"{XSS_IMG}专家",
        resource_type="expert",
        snapshot=hostile({"name": f"{XSS_IMG}专家", "details": {}}),
    )
    instrument = make_ticket(
        store,
        text="租仪器",
        category="testing",
        sub_service="testing.chemical",
        institution_id="Q-GCMS-WH",
        institution_name=f"{XSS_IMG}仪器",
        resource_type="instrument",
        snapshot=hostile({"name": f"{XSS_IMG}仪器", "institution_name": XSS_IMG}),
    )
    page.goto(live_server.url + "/board")
    set_key(page, live_server.clerk_key)
    for t in (expert, instrument):
        expect(ticket_card(page, t.id).locator(".ticket-refs")).to_contain_text(XSS_IMG)
    assert page.locator("#board img, #board script").count() == 0
    for t, kind in ((expert, "expert"), (instrument, "instrument")):
        page.goto(f"{live_server.url}/slip/{t.id}")
        need = page.locator(f"#slip .slip-need[data-resource-type={kind}]")
        expect(need).to_be_visible()
        expect(need.locator(".slip-phone td")).to_have_text(f"{XSS_SCRIPT}phone")
        assert_inert(page, "#slip")
    snap(page, shots, "xss-07-slip-snapshot")

    # The snapshot's card (the slip's rows for the kind) is shown as text too.
    rewrite(
        page,
        f"**/api/v1/tickets/{instrument.id}",
        lambda d: [hostile_card(r["snapshot"]) for r in d["referrals"] if r.get("snapshot")],
    )
    page.goto(f"{live_server.url}/slip/{instrument.id}")
    need = page.locator("#slip .slip-need[data-resource-type=instrument]")
    expect(need).to_contain_text(f"{XSS_IMG}note")
    expect(need.locator(".slip-phone td")).to_have_text(f"{XSS_SCRIPT}phone")
    expect(need.locator(".checklist li").last).to_have_text(f"{XSS_IMG}checklist")
    assert_inert(page, "#slip")
    assert page.locator("#slip [onmouseover]").count() == 0
    page.unroute(f"**/api/v1/tickets/{instrument.id}")

    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watch.dialogs == []


def test_wrong_or_missing_key_is_explained(page, live_server, shots):
    page.goto(live_server.url + "/board")
    expect(page.locator("#key-state")).to_have_text("未设置")
    expect(page.locator("#board-status")).to_contain_text("请先在页面顶部")

    set_key(page, "not-the-right-key-0123456789")
    status = page.locator("#board-status")
    expect(status).to_contain_text("窗口密钥无效")
    expect(status).to_contain_text("401")
    expect(page.locator("#key-state")).to_have_text("密钥无效")
    expect(page.locator("#api-key")).to_have_class(re.compile(r"\bbad\b"))
    expect(page.locator("#board .ticket-card")).to_have_count(0)
    snap(page, shots, "key-01-board-wrong-key")

    set_key(page, live_server.analyst_key)  # a real key, but not a clerk's
    expect(status).to_contain_text("403")
    expect(status).to_contain_text("无权")

    # The console: matching is public, creating a ticket is not.
    page.goto(live_server.url + "/console")
    set_key(page, "not-the-right-key-0123456789")
    run_match(page, "地磅要检定", "湖北省武汉市")
    page.click("#create-ticket")
    expect(page.locator("#ticket-result")).to_contain_text("窗口密钥无效")
    expect(page.locator("#flash")).to_contain_text("窗口密钥无效")
    expect(page.locator("#create-ticket")).to_be_enabled()
    snap(page, shots, "key-02-console-wrong-key")

    # The key is kept per tab (sessionStorage) and clearing it works.
    set_key(page, live_server.clerk_key)
    page.click("#create-ticket")
    expect(page.locator("#ticket-result .ticket-made")).to_be_visible()
    page.reload()
    expect(page.locator("#key-state")).to_have_text("已设置")
    page.click("#key-clear")
    expect(page.locator("#key-state")).to_have_text("未设置")
    page.goto(live_server.url + "/slip/1")
    expect(page.locator("#slip-status")).to_contain_text("窗口密钥")
    expect(page.locator("#slip")).to_be_hidden()


def test_pages_render_server_side_and_are_self_contained(live_server):
    """Every page is served, escapes what it echoes, and refers only to same-origin files."""
    import httpx

    with httpx.Client(base_url=live_server.url) as c:
        for path in ("/console", "/search", "/board", "/slip/1", "/resource/T-MET-WH"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert "text/html" in r.headers["content-type"]
            html = r.text
            assert '<script type="module" src="/static/js/main.js">' in html
            assert "Content-Security-Policy" in html
            assert not re.search(r"(src|href)=\"(https?:)?//", html), path
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        for rid in ("X-QUAL-WH", "Q-GCMS-WH"):
            assert f'data-resource-id="{rid}"' in c.get(f"/resource/{rid}").text
        r = c.get("/institution/T-MET-WH")  # the old address moved
        assert r.status_code == 308 and r.headers["location"] == "/resource/T-MET-WH"
        r = c.get("/resource/" + '"><img src=x onerror=alert(1)>')
        assert "<img src=x" not in r.text
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text
        r = c.get("/institution/" + '"><img src=x onerror=alert(1)>')
        assert r.status_code == 308 and "<" not in r.headers["location"]
        modules = sorted(STATIC_JS.glob("*.js"))
        assert "main.js" in {m.name for m in modules}
        for module in modules:
            r = c.get("/static/js/" + module.name)
            assert r.status_code == 200, module.name
            # module scripts need a JavaScript MIME type (X-Content-Type-Options: nosniff)
            assert "javascript" in r.headers["content-type"], module.name
            assert not re.search(
                r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function",
                r.text,
            ), module.name
        assert c.get("/static/app.css").status_code == 200
