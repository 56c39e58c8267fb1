"""Issue 15: need status, first-ask routing, typos, real negatives, and their validation.

The sentences are written for these tests from general Chinese; none is taken from an
evaluation set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qis_match.errors import InputError
from qis_match.understanding.lexicon import load_lexicon, read_lexicon
from qis_match.understanding.negatives import held_out_reviews, reviews
from qis_match.understanding.routing import FALLBACK, Router, load_channels, read_channels
from qis_match.understanding.status import DECLINED, DONE, WANTED, micro_clauses, status_of

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "thuocl"


# --------------------------------------------------------------------------- status
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("专利去年就申请了，现在想做品牌策划", [DONE, WANTED]),
        ("暂时不打算做认证，先把质量体系理顺", [DECLINED, WANTED]),
        ("不是要做检测，而是想问问标准怎么写", [DECLINED, WANTED]),
        ("需不需要做CCC认证", [WANTED]),
        ("要不要先做检测", [WANTED]),
        ("想尽早申请专利", [WANTED]),
        ("商标注册了十年，快到期了要续展", [DONE, WANTED]),  # the need: wanted (续展)
        ("We already have ISO 9001, now we need a patent search", [DONE, WANTED]),
        ("我哋已经做咗检测，而家想搞认证", [DONE, WANTED]),
        # 已经 … 了 with words between, X过了, possession, and declining a role
        ("CMA资质已经顺利通过评审了，现在想扩项", [DONE, WANTED]),
        ("游标卡尺都检定过了", [DONE]),
        ("我们公司有ISO 14001证书", [DONE]),
        ("行业标准起草我们不参与", [DECLINED]),
        # a problem reported after 已经 is still to be solved
        ("计量证书已经过期了", [WANTED]),
        ("商标已经被别人抢注了", [WANTED]),
    ],
)
def test_micro_clause_polarity_follows_the_clause_not_the_text(text, expected):
    assert [c.status for c in micro_clauses(text)] == expected


def test_a_need_is_wanted_if_any_clause_that_carries_it_is():
    clauses = micro_clauses("检测报告早有了，但还要补一份型式检验")
    first, second = clauses[0], clauses[-1]
    assert status_of([(first.start, first.end)], clauses)[0] == DONE
    assert status_of([(first.start, second.end)], clauses)[0] == WANTED
    assert status_of([], clauses)[0] == WANTED  # read from the whole text: asked for


# --------------------------------------------------------------------------- routing
def test_route_table_names_only_real_national_hotlines():
    real = {"12315", "12366", "12333", "12345", "12369", "12350", "12360", "12378", "12319"}
    channels = load_channels()
    assert FALLBACK in channels and len(channels) == 13
    assert {c.hotline for c in channels.values() if c.hotline} <= real


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("增值税专用发票开错了怎么红冲", "tax"),
        ("员工上班路上摔伤算不算工伤", "hrss"),
        ("新厂房的消防验收要准备哪些材料", "fire"),
        ("出口货物报关单怎么填", "customs"),
        ("隔壁工厂晚上偷排废水", "environment"),
        ("小区物业乱收停车费", "housing"),
        ("网购的吹风机用一次就坏了，商家不给退货", "consumer_12315"),
        ("急招两名质检员，要有经验", "hrss"),
    ],
)
def test_router_patterns_pick_the_competent_channel(text, code):
    assert Router().route(text).channel.code == code


def test_router_falls_back_to_12345_and_routes_rest_only_on_a_pattern():
    r = Router()
    assert r.route("随便问问").channel.code == FALLBACK
    assert r.route_rest("顺便问一下公司的社保怎么交").channel.code == "hrss"
    assert r.route_rest("顺便说一声谢谢") is None


def _channels_file(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "channels.yaml"
    p.write_text(body, encoding="utf-8")
    return p


def test_route_table_errors_name_the_channel_and_field(tmp_path):
    fallback = "  - {code: hotline_12345, name: a, where: b, reason: c, hotline: '12345'}\n"
    with pytest.raises(InputError, match=r"channel 1: missing \['where'\]"):
        read_channels(_channels_file(tmp_path, "channels:\n  - {code: x, name: a, reason: c}\n"))
    with pytest.raises(InputError, match="tax.*not a 123xx line"):
        read_channels(
            _channels_file(
                tmp_path,
                "channels:\n  - {code: tax, name: a, where: b, reason: c, hotline: '400-800'}\n"
                + fallback,
            )
        )
    with pytest.raises(InputError, match="bad pattern"):
        read_channels(
            _channels_file(
                tmp_path,
                "channels:\n  - {code: tax, name: a, where: b, reason: c, patterns: ['(']}\n"
                + fallback,
            )
        )
    with pytest.raises(InputError, match="fallback"):
        read_channels(
            _channels_file(tmp_path, "channels:\n  - {code: tax, name: a, where: b, reason: c}\n")
        )


# --------------------------------------------------------------------------- typos
def test_typo_correction_keeps_length_and_fixes_known_homophones():
    lex = load_lexicon()
    assert lex.typos, "the lexicon has a typo table"
    for wrong, right in lex.typos.items():
        text = f"我们想{wrong}一下"
        fixed = lex.correct(text)
        assert len(fixed) == len(text) and right in fixed


def test_no_typo_key_is_a_common_word():
    """A 'typo' that is itself a word (THUOCL lists, ../shared) would rewrite correct text."""
    words: set[str] = set()
    for f in SHARED.glob("THUOCL_*.txt"):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                words.add(line.split()[0])
    assert len(words) > 10_000, f"THUOCL word lists not found under {SHARED}"
    assert sorted(set(load_lexicon().typos) & words) == []


def test_lexicon_errors_are_named(tmp_path):
    p = tmp_path / "lexicon.yaml"
    p.write_text("typos: {检侧: 检测一下}\n", encoding="utf-8")
    with pytest.raises(InputError, match="keep its length"):
        read_lexicon(p)
    p.write_text("english: {no.such: [x]}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown sub-service 'no.such'"):
        read_lexicon(p, {"testing.food"})


# --------------------------------------------------------------------------- real negatives
def test_review_split_is_disjoint_and_deterministic():
    train = set(reviews("neg", "train", 3000))
    held = set(reviews("neg", "held_out", 500))
    assert len(train) == 3000 and len(held) == 500
    assert not train & held
    assert reviews("neg", "train", 50) == reviews("neg", "train", 50)
    assert all(6 <= len(t) <= 100 and "\ufffd" not in t for t in held)
    both = held_out_reviews(10)
    assert len(both) == 10 and not set(both) & train


# --------------------------------------------------------------------------- end to end
def test_declined_service_is_shown_but_not_referred(matcher):
    res = matcher.match("只要做个食品检测就行，不需要做有机认证")
    d = json.loads(json.dumps(res.to_dict(), ensure_ascii=False))
    assert [n["category"] for n in d["needs"]] == ["testing"]
    declined = {n["category"]: n for n in d["needs_not_wanted"]}
    assert declined["certification"]["status"] == "declined"
    assert declined["certification"]["status_cue"]
    assert all(r["category"] != "certification" for r in d["referrals"])


def test_done_service_is_shown_and_the_rest_is_served(matcher):
    res = matcher.match("商标去年已经注册好了，现在想做品牌定位")
    assert res.needs and res.needs[0].category == "brand"
    assert [(n.category, n.status) for n in res.needs_not_wanted] == [("ip", "done")]
    assert all(r.category != "ip" for r in res.referrals)


def test_everything_done_means_no_referral_and_says_so(matcher):
    res = matcher.match("压力表上周已经检定过了")
    assert res.needs == [] and res.referrals == []
    assert res.needs_not_wanted and res.needs_not_wanted[0].status == "done"
    assert "已具备" in res.abstain_reason and res.route["code"] == FALLBACK


def test_non_qi_request_gets_its_channel_and_a_reason(matcher):
    res = matcher.match("年底了想问问个税汇算怎么弄")
    assert res.needs == [] and res.route["code"] == "tax" and res.route["hotline"] == "12366"
    assert res.route["reason"] and res.route["where"]


def test_hiring_with_qi_words_is_employment(matcher):
    res = matcher.match("厂里想招一名懂校准的计量工程师")
    assert res.needs == [] and res.route["code"] == "hrss"


@pytest.mark.parametrize("text", ["厂里要招一个压力表检定员", "急需招聘一名做CCC认证的专员"])
def test_hiring_is_employment_even_when_the_job_fires_a_strong_signal(matcher, text):
    # 压力表 检定 and CCC are strong signals; in the hiring clause they name the job, not a need
    res = matcher.match(text)
    assert res.signals["strong_signals"] and res.needs == [] and res.route["code"] == "hrss"


def test_a_job_advert_is_employment_whatever_qualifications_it_names(matcher):
    res = matcher.match("诚聘：质检员两名，持检验员证者优先，熟悉ISO 9001")
    assert res.needs == [] and res.route["code"] == "hrss"


def test_a_buyers_complaint_is_12315_even_with_a_certification_mark(matcher):
    res = matcher.match("网购的吹风机标着3C认证，用了两次就冒烟，想投诉这个商家")
    assert res.needs == [] and res.route["code"] == "consumer_12315"
    # an enterprise speaking of its customers' complaints still gets its QI need
    firm = matcher.match("客户投诉我们的吹风机冒烟，想找实验室做失效分析")
    assert [n.category for n in firm.needs][:1] == ["testing"]


def test_setting_up_a_qi_company_is_registration(matcher):
    res = matcher.match("打算成立一家检测咨询公司，注册资本最低要多少")
    assert res.needs == [] and res.route["code"] == "registration"


def test_the_route_model_alone_never_sends_chat_to_12315():
    router = Router()
    route = router.route("你们这里是真人在回复吗", {"consumer_12315": 0.9, "hotline_12345": 0.1})
    assert route.channel.code == "hotline_12345"
    with_words = router.route("买的东西坏了要退货", {"consumer_12315": 0.9})
    assert with_words.channel.code == "consumer_12315"


def test_mixed_request_serves_the_qi_part_and_routes_the_rest(matcher):
    res = matcher.match("电子秤要送去检定；另外问一下，员工的工伤保险怎么办理")
    assert res.needs[0].category == "metrology" and res.referrals
    assert res.route is not None and res.route["code"] == "hrss"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("We want to file a patent for our new pump design", "ip"),
        ("Our weighing scales need their annual verification", "metrology"),
        ("咱們工廠的電梯要年檢", "other"),
    ],
)
def test_english_and_traditional_requests_are_understood(matcher, text, category):
    res = matcher.match(text)
    assert res.needs and res.needs[0].category == category


def test_typo_is_read_corrected_but_the_clerk_sees_the_paste(matcher):
    lex = load_lexicon()
    wrong, right = next((w, r) for w, r in lex.typos.items() if "检" in r or "测" in r)
    res = matcher.match(f"钢管要做{wrong}")
    assert res.text.endswith(wrong)  # the clerk's own words
    assert res.signals.get("reading", "").endswith(right)
    assert res.needs


def test_needs_follow_the_text_when_equally_sure(matcher):
    res = matcher.match("先申请一件发明专利，然后制定一项团体标准，最后做CCC认证")
    cats = [n.category for n in res.needs]
    assert cats == ["ip", "standards", "certification"]
    assert [n.start for n in res.needs] == sorted(n.start for n in res.needs)


def test_greeting_routes_to_12345(matcher):
    res = matcher.match("您好")
    assert res.needs == [] and res.route["code"] == FALLBACK


def test_json_contract_only_gains_keys(matcher):
    d = matcher.match("电热水壶要做CCC认证").to_dict()
    before = {
        "text",
        "needs",
        "referrals",
        "bundle",
        "entities",
        "needs_review",
        "review_reasons",
        "abstain_reason",
        "signals",
        "index_version",
        "catalog_version",
        "encoder",
        "elapsed_ms",
    }
    assert before <= set(d) and {"needs_not_wanted", "route"} <= set(d)
    need_keys = {
        "category",
        "name",
        "score",
        "sub_service",
        "sub_service_name",
        "text",
        "start",
        "end",
        "source",
        "resource_type",
    }
    assert need_keys <= set(d["needs"][0]) and d["needs"][0]["status"] == "wanted"
    assert re.fullmatch(r"\d+(\.\d)?", str(d["elapsed_ms"]))
