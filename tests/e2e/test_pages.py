"""The window's pages in a real headless Chromium: the clerk's console, the notification slip,
the ticket board, the SME search and institution pages, inert rendering of hostile text, and
clear errors for a wrong key.

Every page state is saved as a full-page screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>window.__xss=1</script>"


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


def make_ticket(store, *, text: str, enterprise: str | None = None, days_ago: int = 0, **choice):
    """A ticket written straight to the store (for states the UI cannot make, e.g. overdue)."""
    from qis_match.store.tickets import Choice, utcnow

    c = Choice(
        category=choice.get("category", "metrology"),
        institution_id=choice.get("institution_id", "T-MET-WH"),
        institution_name=choice.get("institution_name", "武汉市测试计量所（测试）"),
        sub_service=choice.get("sub_service", "metrology.verification"),
        rank=choice.get("rank", 1),
        top_institution_id="T-MET-WH",
        override_reason=choice.get("override_reason"),
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
    expect(first).to_have_attribute("data-institution-id", "T-MET-WH")
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
    second_id = second.get_attribute("data-institution-id")
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

    # The slip: print-ready, with the chosen institution and what to prepare.
    page.click("#slip-link")
    expect(page).to_have_url(re.compile(rf"/slip/{ticket_id}$"))
    slip = page.locator("#slip")
    expect(slip).to_be_visible()
    expect(page.locator("#slip-no")).to_have_text(f"{ticket_id:06d}")
    expect(page.locator("#slip-enterprise")).to_have_text("武汉某某阀门有限公司")
    expect(page.locator("#slip-text")).to_contain_text("压力表到期了要送检")
    expect(page.locator("#slip-deadline")).to_have_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    need = slip.locator(".slip-need")
    expect(need).to_have_count(1)
    expect(need.locator("h3")).to_contain_text("计量")
    expect(need).to_contain_text("宜昌市测试计量所")
    expect(need).to_contain_text("0717-00003333")  # phone, from the institution
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
    expect(std.locator(".ref").first).to_have_attribute("data-institution-id", "T-STD-CS")
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
    snap(page, shots, "console-07-abstain")


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
    expect(results.first).to_have_attribute("data-institution-id", "T-MET-WH")
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
    expect(results.first).to_have_attribute("data-institution-id", "T-IP-WH")
    expect(results.first.locator(".badge.online")).to_have_text("线上")
    expect(results.first.locator(".badge.discount")).to_have_text("小微优惠")
    snap(page, shots, "search-03-category-filters")

    # a reload keeps the query (it is in the URL)
    page.reload()
    expect(page.locator("#s-category")).to_have_value("ip")
    expect(page.locator("#s-online")).to_be_checked()
    expect(results).to_have_count(1)

    results.first.locator("a.ref-name").click()
    expect(page).to_have_url(re.compile(r"/institution/T-IP-WH$"))
    expect(page.locator("#inst-name")).to_have_text("武汉测试知识产权代理有限公司（测试）")
    details = page.locator("#inst-details")
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

    page.goto(live_server.url + "/institution/T-MET-WH")
    expect(page.locator("#inst-details")).to_contain_text("CNAS")
    expect(page.locator("#capabilities tbody tr")).to_have_count(3)
    expect(page.locator("#capabilities")).to_contain_text("JJG 52-2013")
    snap(page, shots, "institution-02-metrology")

    page.goto(live_server.url + "/institution/NO-SUCH-INST")
    expect(page.locator("#inst-status")).to_contain_text("未找到该机构")


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
    expect(page.locator("#inst-status")).to_contain_text("未找到")
    assert page.locator("main img").count() == 0

    page.wait_for_timeout(300)  # give any injected handler a chance to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("typeof window._xss") == "undefined"
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
        for path in ("/console", "/search", "/board", "/slip/1", "/institution/T-MET-WH"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert "text/html" in r.headers["content-type"]
            html = r.text
            assert '<script src="/static/app.js"' in html
            assert "Content-Security-Policy" in html
            assert not re.search(r"(src|href)=\"(https?:)?//", html), path
        r = c.get("/institution/" + '"><img src=x onerror=alert(1)>')
        assert "<img src=x" not in r.text
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text
        js = c.get("/static/app.js").text
        assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", js)
        assert c.get("/static/app.css").status_code == 200
