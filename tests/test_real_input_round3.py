"""Issue 15, third round: refusing the manner and not the service, parts that describe a project
or repeat hearsay, money claimed in a clause of its own, overdue is not done, job seekers, and
the English and Chinese phrasings of calibration, lab accreditation, quality-system consulting,
applicable standards, technology transfer and sampling tests. Every sentence here is written
for these tests; none is taken from an evaluation set.
"""

from __future__ import annotations

import pytest

from qis_match.understanding.routing import Router
from qis_match.understanding.signals import find_signals
from qis_match.understanding.status import DECLINED, DONE, WANTED, describes_only, micro_clauses


# --------------------------------------------------------------------------- status
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a refusal of the manner keeps the service wanted
        ("不用派人上门，电子秤我们自己拿去检定", [WANTED, WANTED]),
        ("不需要加急，正常做检测就行", [WANTED, WANTED]),
        # … while a refusal of the service is still a refusal
        ("不用检定了，秤已经报废", [DECLINED, WANTED]),
        # overdue is a need, in Mandarin and in Cantonese
        ("起重机定检过了期", [WANTED]),
        ("叉车年检过咗期", [WANTED]),
        ("叉车年检检过了", [DONE]),
    ],
)
def test_status_reads_manner_and_overdue(text, expected):
    assert [c.status for c in micro_clauses(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("项目是新建一个化验室", True),
        ("总公司是做计量校准的", True),
        ("听说拿到商标的企业有奖励", True),
        ("项目是新建化验室，想做CMA", False),  # a request word: it asks
        ("听说要做CCC认证，怎么申请", False),
    ],
)
def test_a_project_or_hearsay_describes_and_asks_for_nothing(text, expected):
    assert describes_only(text) is expected


# --------------------------------------------------------------------------- signals
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("千分尺和百分表要做校正", "metrology"),
        ("PSE认证怎么办", "certification"),
        ("KC点搞", "certification"),  # Cantonese, after the traditional-to-simplified step
        ("想把学校的科研成果转化出去", "other"),
        ("麻烦安排一次产品抽检", "testing"),
        ("OUR LAB WANTS CNAS ACCREDITATION", "certification"),
        ("WE NEED A CONSULTANT TO HELP US SET UP A QUALITY MANAGEMENT SYSTEM", "quality"),
        ("WE WANT TO FIND THE APPLICABLE STANDARD FOR LED LAMPS", "standards"),
    ],
)
def test_plain_phrasings_are_strong_signals(text, category):
    assert category in {h.category for h in find_signals(text)}


@pytest.mark.parametrize(
    "text",
    ["产品被抽检不合格，要整改", "上次抽检没过", "这批货合格吗", "WE HAVE AN ISO 9001 SYSTEM"],
)
def test_the_new_signals_stay_quiet_where_they_should(text):
    cats = {h.category for h in find_signals(text)}
    assert "testing" not in cats and "quality" not in cats


# --------------------------------------------------------------------------- routing
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("有没有计量方面的岗位推荐", "hrss"),
        ("这笔资金去哪个部门领", "finance"),
    ],
)
def test_job_seekers_and_money_claims_find_their_channel(text, code):
    r = Router()
    assert (r.request_route(text) or r.decisive_route(text) or r.route(text)).channel.code == code


# --------------------------------------------------------------------------- end to end
def test_refusing_the_visit_keeps_the_calibration(matcher):
    res = matcher.match("不用派人上门，扭力扳手我们自己送过去校准")
    assert "metrology" in [n.category for n in res.needs]


def test_a_project_description_does_not_make_a_need(matcher):
    res = matcher.match("环评审批要准备哪些材料，项目是新建一个化验室")
    assert res.needs == [] and res.route["code"] == "environment"


def test_hearsay_of_a_subsidy_is_a_money_question(matcher):
    res = matcher.match("听说拿到商标的企业有奖励，这笔钱去哪个部门领")
    assert res.needs == [] and res.route["code"] == "finance"


def test_a_certificate_still_valid_is_done():
    assert [c.status for c in micro_clauses("体系证书还在有效期内")] == [DONE]
    assert [c.status for c in micro_clauses("证书快过期了")] == [WANTED]


def test_a_category_already_done_is_not_asked_for_again_by_a_mere_mention(matcher):
    """Once a done part named the standard, a later part that cites it asks for a test."""
    res = matcher.match("压力表上个月检定过了，这回是想把电子天平拿去校准")
    assert [n.category for n in res.needs] == ["metrology"]
    res = matcher.match("商标早就注册好了，现在想请人帮我们做品牌策划")
    assert [n.category for n in res.needs] == ["brand"]
    assert ("ip", DONE) in [(n.category, n.status) for n in res.needs_not_wanted]


def test_a_scope_extension_is_a_lab_qualification_need(matcher):
    res = matcher.match("我们的CNAS证书还在有效期，今年想扩项")
    assert [n.category for n in res.needs] == ["certification"]
