"""Every extractor on realistic, awkward strings: full-width digits, codes split by spaces,
traditional characters, English mixed in, clerk pastes with personal data."""

from datetime import date

import pytest

from qis_match.text.normalize import normalize_text
from qis_match.understanding.entities import extract_entities, find_enterprise, parse_deadline
from qis_match.understanding.redact import find_personal_data, redact
from qis_match.understanding.segment import split_clauses
from qis_match.understanding.signals import find_signals

TODAY = date(2026, 11, 21)  # a Saturday


def ents(text):
    return extract_entities(normalize_text(text), TODAY)


# --- redaction
@pytest.mark.parametrize(
    "text, expected",
    [
        ("长沙××车业有限公司 许经理 138****4321", "长沙××车业有限公司 [联系人] [电话]"),
        ("联系人：汪主管 027-8****1234", "联系人：[联系人] [电话]"),
        ("联系人：王经理 13800001234，邮箱 wang@abc.com", "联系人：[联系人] [电话]，邮箱 [邮箱]"),
        ("身份证420106198001011234办理", "身份证[身份证号]办理"),
        ("电话：0755-2345 6789 转 12", "电话：[电话]"),
        ("手机 +86 139 1234 5678", "手机 [电话]"),
        ("对接人:李小明，0731-88886666", "对接人:[联系人]，[电话]"),
    ],
)
def test_redaction(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "压力表(0~60)MPa 1.6级",
        "依据GB/T 29490-2013和JJG 52-2013",
        "订单20240312",
        "UN38.3 IP68",
        "李宁牌运动鞋检测",
    ],
)
def test_redaction_leaves_technical_text_alone(text):
    assert find_personal_data(text) == []


# --- enterprise and industry
@pytest.mark.parametrize(
    "text, name",
    [
        ("我司湖南华远食品有限公司生产辣条", "湖南华远食品有限公司"),
        ("单位：武汉××大厦物业管理处", None),
        ("我们是一家电子公司", None),
        ("深圳的医疗器械公司要做认证", None),
        ("佛山市顺德区××电器股份有限公司申请CCC", "佛山市顺德区××电器股份有限公司"),
        ("湘西××茶叶专业合作社想做有机认证", "湘西××茶叶专业合作社"),
    ],
)
def test_enterprise(text, name):
    assert find_enterprise(normalize_text(text)) == name


@pytest.mark.parametrize(
    "text, code",
    [
        ("我们是做电热水壶的", "38"),
        ("蓝牙耳机出口欧盟", "39"),
        ("辣条厂要做检测", "14"),
        ("实木家具甲醛检测", "21"),
        ("汽车零部件供应商要过IATF 16949", "36"),
        ("小区物业电梯年检", "70"),
        ("白酒要送检", "15"),
    ],
)
def test_industry_division(text, code):
    assert ents(text).industry.code == code


def test_industry_unknown_is_none():
    assert ents("我想咨询一下").industry is None


# --- products, standards, schemes, markets
def test_products_standards_schemes_markets():
    e = ents("我們是東莞做藍牙耳機的，出口歐盟要做CE和RoHS，按ＥＮ　５５０３２，還有美國FCC")
    assert "蓝牙耳机" in e.products
    assert {"CE", "RoHS", "FCC"} <= set(e.schemes)
    assert e.markets == ["欧盟", "美国"] and e.export
    assert "EN 55032" in e.standards


def test_codes_split_by_spaces_and_full_width():
    e = ents("按ＧＢ／Ｔ　１９００１－２０１６做体系，另外 GB 4706. 1 不算")
    assert "GB/T 19001-2016" in e.standards


def test_management_system_codes_are_schemes_not_standards():
    e = ents("汽车零部件要过IATF 16949和ISO 14001认证")
    assert {"IATF 16949", "ISO 14001"} <= set(e.schemes)
    assert "IATF 16949" not in e.standards


def test_ascii_marks_need_word_boundaries():
    e = ents("SERVICE流程和ULTRA型号，CEO说的")
    assert e.schemes == []


def test_ccc_aliases():
    assert ents("电热水壶要做3C认证").schemes == ["CCC"]
    assert ents("要办强制性产品认证").schemes == ["CCC"]


# --- urgency and deadline
@pytest.mark.parametrize(
    "text, day",
    [
        ("三天内要报告", date(2026, 11, 24)),
        ("３天内", date(2026, 11, 24)),
        ("明天之前给方案", date(2026, 11, 22)),
        ("下周三之前", date(2026, 11, 25)),
        ("月底前", date(2026, 11, 30)),
        ("12月15日前", date(2026, 12, 15)),
        ("2027年1月10日之前", date(2027, 1, 10)),
        ("两周内", date(2026, 12, 5)),
        ("十天以内", date(2026, 12, 1)),
        ("3月底", date(2027, 3, 31)),
    ],
)
def test_deadlines(text, day):
    assert parse_deadline(normalize_text(text), TODAY)[0] == day


def test_urgency():
    assert ents("急！压力表要送检").urgent
    assert ents("加急办理").urgent
    assert ents("明天之前给方案").urgent  # a deadline within three days is urgent
    assert not ents("下个月做个团体标准").urgent
    assert not ents("着急也没用，慢慢来").deadline


# --- clauses and strong signals
def test_clauses_keep_offsets():
    text = "想注册商标再做个团体标准"
    spans = split_clauses(text)
    assert [s.text for s in spans] == ["想注册商标", "再做个团体标准"]
    assert all(text[s.start : s.end] == s.text for s in spans)
    text = "新开的食品厂要做检测，还想做HACCP认证。另外商品条码也要办"
    assert [s.text for s in split_clauses(text)] == [
        "新开的食品厂要做检测",
        "还想做HACCP认证",
        "另外商品条码也要办",
    ]


@pytest.mark.parametrize(
    "text, category",
    [
        ("电热水壶要做CCC认证", "certification"),
        ("我们厂的压力表到期了要送检", "metrology"),
        ("电梯年检怎么预约", "other"),
        ("想注册商标", "ip"),
        ("要起草一个团体标准", "standards"),
        ("产品需要做碳足迹", "certification"),
    ],
)
def test_strong_signals(text, category):
    assert category in {h.category for h in find_signals(text)}


@pytest.mark.parametrize(
    "text",
    [
        "请问个人所得税怎么申报",
        "工厂招聘质检员",
        "买一个压力表多少钱",
        "开奶茶店要办食品经营许可证",
    ],
)
def test_strong_signals_stay_quiet_on_non_qi(text):
    assert find_signals(text) == []


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("仪器太贵买不起，想租气相色谱质谱联用仪", {"instrument"}),
        ("DSC和TGA哪里可以按小时租？", {"instrument"}),
        ("盐雾箱能不能按周租", {"instrument"}),
        ("产品返修率高，想请专家诊断", {"expert"}),
        ("请贵所专家出具检测报告", set()),  # the institution's own staff
        ("环评专家评审意见要求补测噪声", set()),  # someone else's expert
        ("专家说我们的标准作废了", set()),
        ("电热水壶要做CCC认证", set()),
    ],
)
def test_resource_signals(text, kinds):
    from qis_match.understanding.signals import resource_signals

    assert resource_signals(normalize_text(text)) == kinds
