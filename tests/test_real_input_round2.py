"""Issue 15, second round: what a fresh blind development set (dev_real2.tsv) showed the engine
did not yet read — refusals that govern the clause before them, "nothing is needed", lists under
one predicate, explicit refusals over a classifier's guess, writers who describe themselves,
chat pastes separated by spaces, homophone typos nobody listed, and the channels of more non-QI
matters. Every sentence here is written for these tests; none is taken from an evaluation set.
"""

from __future__ import annotations

import pytest

from qis_match.taxonomy import load_taxonomy
from qis_match.understanding.homophones import HomophoneReader
from qis_match.understanding.lexicon import load_lexicon
from qis_match.understanding.routing import Router
from qis_match.understanding.status import (
    DECLINED,
    DONE,
    WANTED,
    describes_only,
    micro_clauses,
)


# --------------------------------------------------------------------------- status
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an object-less refusal governs the topic before it
        ("检测这块有长期合作的机构，不用安排", [DONE, DECLINED]),
        ("标准的事情，暂时不需要了", [DECLINED, DECLINED]),
        # a list shares its predicate: not cut at 、
        ("商标注册、专利申请都不用你们管", [DECLINED]),
        # deferring is declining for now
        ("认证明年再说吧", [DECLINED]),
        ("认证的事以后再说", [DECLINED]),
        # 把 … 了 asks for it; 已经 … 了 reports it
        ("顺带把条码也办了", [WANTED]),
        ("条码已经办了", [DONE]),
        # holding something is done; forgetting it is not
        ("实验室资质都有", [DONE]),
        ("商标续展费忘交了", [WANTED]),
        # an imperative 吧 is no question
        ("那个认证申请撤销吧", [DECLINED]),
        # English refusals
        ("We are not pursuing certification for now", [DECLINED]),
    ],
)
def test_status_reads_scope_lists_deferral_and_disposal(text, expected):
    assert [c.status for c in micro_clauses(text)] == expected


def test_nothing_needed_turns_mentions_into_done():
    clauses = micro_clauses("锅炉上个月检完了，计量器具也送检了，目前没什么要办的")
    assert [c.status for c in clauses] == [DONE, DONE, DECLINED]
    # a part that still asks for something stays wanted
    clauses = micro_clauses("别的没什么要办的了，就想问下条码怎么申请")
    assert clauses[-1].status == WANTED


def test_chat_pastes_are_cut_at_spaces_between_words():
    clauses = micro_clauses("电子秤要检定 另外 厂里还要做安全生产标准化")
    assert len(clauses) >= 3 and clauses[0].text == "电子秤要检定"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们是一家检验检测机构", True),
        ("本公司系认证咨询公司", True),
        ("We are an accredited test lab", True),
        ("我们是食品厂，想做检测", False),
        ("我们是做阀门的，需要校准", False),
        ("我公司急需CCC认证", False),
    ],
)
def test_a_writer_describing_itself_asks_for_nothing(text, expected):
    assert describes_only(text) is expected


# --------------------------------------------------------------------------- homophones
@pytest.fixture(scope="module")
def reader() -> HomophoneReader:
    return HomophoneReader.from_taxonomy(load_taxonomy(), load_lexicon().homophone_terms)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("想申请发明专例", "专利"),  # 例 lì
        ("商镖被人抢先注册了", "商标"),  # 镖 biāo
        ("卓跃绩效奖怎么申报", "卓越绩效"),  # 跃 yuè
        ("想申报中华老字耗", "老字号"),  # 耗 hào
        ("叉车年减快到期了", "年检"),  # 减 jiǎn
    ],
)
def test_a_homophone_of_a_qi_term_is_read_as_the_term(reader, typed, read):
    fixed = reader.correct(typed)
    assert len(fixed) == len(typed) and read in fixed


@pytest.mark.parametrize(
    "text",
    [
        "环境监测数据要上传",  # 监测 is a word, not a typo of 检测
        "开会时间测算一下",  # 间 belongs to 时间
        "质量是企业的生命",
        "这家酒店的房型是一样的",
        "服务态度很差，退款也不给",
        "我们下午三点多就到",
    ],
)
def test_correct_text_is_left_alone(reader, text):
    assert reader.correct(text) == text


def test_homophone_terms_must_be_two_characters(tmp_path):
    from qis_match.errors import InputError
    from qis_match.understanding.lexicon import read_lexicon

    p = tmp_path / "lexicon.yaml"
    p.write_text("homophone_terms: [检测, 卓越绩效]\n", encoding="utf-8")
    with pytest.raises(InputError, match="卓越绩效"):
        read_lexicon(p)


# --------------------------------------------------------------------------- routing
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("厂里有工人在车间受伤了，事故要报到哪里", "emergency"),
        ("仓库的疏散通道被堆满了货", "fire"),
        ("去年拿了专精特新，有一笔补助一直没到账", "finance"),
        ("想评中级工程师职称，材料怎么准备", "hrss"),
        ("进口一批零件，进口环节要交多少税", "customs"),
        ("公司要把注册地址迁到开发区", "registration"),
        ("楼盘的工程质量监督手续在哪办", "housing"),
        ("明年想申请高新技术企业，条件是什么", "science"),
        ("How do I set up a WFOE in Shenzhen?", "registration"),
        ("Our goods are held at customs, what papers do we need?", "customs"),
    ],
)
def test_more_matters_find_their_channel(text, code):
    r = Router()
    assert (r.request_route(text) or r.decisive_route(text) or r.route(text)).channel.code == code


# --------------------------------------------------------------------------- end to end
def test_an_explicit_refusal_beats_a_guess_elsewhere(matcher):
    res = matcher.match("想先按ISO 9001把质量体系搭起来，认证暂不考虑")
    assert "certification" not in [n.category for n in res.needs]
    assert ("certification", DECLINED) in [(n.category, n.status) for n in res.needs_not_wanted]


def test_a_provider_offering_services_is_no_need(matcher):
    res = matcher.match("我们是一家检测实验室，资质齐全，希望和贵中心建立合作")
    assert res.needs == [] and res.route["code"] == "hotline_12345"


def test_a_reporter_asking_for_figures_is_no_need(matcher):
    res = matcher.match("我是电视台的记者，想了解全市有多少家认证机构")
    assert res.needs == [] and res.route["code"] == "hotline_12345"


def test_the_one_wanted_part_of_a_refusing_request_is_served(matcher):
    res = matcher.match("体系认证不需要，专利也有代理在做；就是想找实验室做一下盐雾试验")
    assert [n.category for n in res.needs] == ["testing"]


def test_a_space_separated_paste_keeps_its_qi_part(matcher):
    res = matcher.match("喂 我们厂的地磅要检定 还有就是 安全生产标准化今年要评 你们管吗")
    assert "metrology" in [n.category for n in res.needs]
    assert res.route and res.route["code"] == "emergency"
