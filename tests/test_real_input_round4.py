"""Issue 15, fourth round (after the blind dev_real3 set): giving something up (就算了), things
finished (申请好了, 也办了), "nothing else", English sentences that hold a done part and a wanted
part, the special-equipment kinds of the 特种设备目录, gap assessments and quality-tool training
in English, brand planning, harmful-substance tests, consultant-led system coaching, and the
channels of prepaid cards, punitive damages, a neighbour's fumes, a builder's qualification, a
school's licence, closing a company, business scope, input VAT, visits and second-hand trading.
Every sentence here is written for these tests; none is taken from an evaluation set.
"""

from __future__ import annotations

import pytest

from qis_match.understanding.routing import Router
from qis_match.understanding.signals import find_signals
from qis_match.understanding.status import DECLINED, DONE, WANTED, micro_clauses


# --------------------------------------------------------------------------- status
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("型式试验就算了，先帮我们看看FCC要什么材料", [DECLINED, WANTED]),
        ("那个CE算了吧", [DECLINED]),
        ("软著申请好了，条码也办了", [DONE, DONE]),
        ("条码要办了", [WANTED]),  # "about to", not done
        ("We already have UKCA. Now we need the test report", [DONE, WANTED]),
        ("ISO 14001 is already done. What we need is energy metering advice", [DONE, WANTED]),
    ],
)
def test_status_reads_giving_up_finishing_and_english_sentences(text, expected):
    assert [c.status for c in micro_clauses(text)] == expected


def test_nothing_else_makes_every_mention_no_request():
    clauses = micro_clauses("商标续展办完了，体系也认证过，没别的事了")
    assert [c.status for c in clauses] == [DONE, DONE, DECLINED]


# --------------------------------------------------------------------------- signals
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("仓库那台简易升降机要年检", "other"),
        ("商场的自动扶梯到期要验", "other"),
        ("厂里部货梯到期要验", "other"),  # Cantonese, after the traditional-to-simplified step
        ("立体车库的机械式停车设备要做定检", "other"),
        ("WE WANT TO GET IATF 16949 NEXT YEAR", "certification"),
        ("WE NEED A GAP ANALYSIS BEFORE THE AUDIT", "quality"),
        ("LOOKING FOR FMEA TRAINING FOR OUR ENGINEERS", "quality"),
        ("WE NEED REGISTRATION TESTING FOR A CLASS II DEVICE", "testing"),
        ("想请人做品牌定位", "brand"),
        ("橱柜的甲醛要检测一下", "testing"),
        ("茶叶的农残想测一下", "testing"),
        ("想请老师来厂里做体系导入", "quality"),
    ],
)
def test_new_strong_signals(text, category):
    cats = {h.category for h in find_signals(text)}
    assert category in cats, cats


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我是消费者，商家说床垫甲醛检测合格", "testing"),  # a buyer, told of a passed test
        ("甲醛检测合格了", "testing"),
        ("实验室想做CNAS认可，质量体系的辅导谁来做", "quality"),  # a lab's accreditation
        ("想加盟一个奶茶品牌", "brand"),
    ],
)
def test_new_signals_stay_quiet(text, category):
    assert category not in {h.category for h in find_signals(text)}


# --------------------------------------------------------------------------- routing
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("理发店关门了，储值卡里的钱退不了", "consumer_12315"),
        ("买到翻新机当新机卖，要求退一赔三", "consumer_12315"),
        ("超市还在卖过期牛奶，我要举报", "consumer_12315"),
        ("The seller refuses to replace the broken kettle", "consumer_12315"),
        ("对面烧烤店的油烟很大，打了好几次电话投诉", "environment"),
        ("装修公司的资质怎么从二级升到一级", "housing"),
        ("二手房过户要带什么材料", "housing"),
        ("开民办培训学校要办什么许可", "licensing"),
        ("我们个体户要注销，流程是什么", "registration"),
        ("经营范围怎么写才能包括计量器具销售", "registration"),
        ("买检测设备的进项税能抵扣吗", "tax"),
        ("周末可以预约参观计量科技馆吗", "hotline_12345"),
        ("手上有一台二手的光谱仪，谁要收", "hotline_12345"),
        ("想查一下这张检验报告是真是假", "hotline_12345"),
    ],
)
def test_more_channels(text, code):
    r = Router()
    got = r.request_route(text) or r.decisive_route(text) or r.route(text)
    assert got.channel.code == code, got.evidence


def test_a_fumes_complaint_is_not_a_firms_noise_test():
    """A firm whose customer complained of its product's noise asks for a test, not 12369."""
    r = Router()
    got = r.request_route("客户投诉我们风扇噪音大，想做个噪声检测")
    assert got is None or got.channel.code != "environment"


# --------------------------------------------------------------------------- end to end
def test_a_mixed_request_keeps_its_brand_need(matcher):
    res = matcher.match("想请专业团队做品牌规划，另外问一下员工社保断缴了怎么补")
    assert "brand" in [n.category for n in res.needs]


def test_english_done_then_wanted(matcher):
    res = matcher.match("ISO 9001 we already have. We need SPC training for the shop floor.")
    assert [n.category for n in res.needs] == ["quality"]


def test_everything_finished_is_no_referral(matcher):
    res = matcher.match("专利申请好了，条码也办了，没别的事了")
    assert res.needs == []
