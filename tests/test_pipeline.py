"""End-to-end matching on the small fixture catalog with the real embedded encoder."""

import json

import pytest

from qis_match.errors import InputError, RegionError
from qis_match.ranking.ranker import Filters
from qis_match.taxonomy import CATEGORY_CODES


def test_pressure_gauge_goes_to_metrology_nearby_with_evidence(matcher):
    res = matcher.match("我们厂的压力表到期了要送检", region="湖北省武汉市")
    assert res.needs[0].category == "metrology"
    top = res.referrals[0]
    assert top.institution_id == "T-MET-WH" and top.locality == "same_city"
    assert top.category == "metrology"
    assert any("压力表" in e.matched_terms for e in top.evidence)
    assert any("一般压力表" in e.text for e in top.evidence)
    # The other metrology institutes follow: same province before other provinces.
    order = [r.institution_id for r in res.referrals if r.category == "metrology"]
    assert order.index("T-MET-YC") < order.index("T-MET-CS")


def test_region_from_text_when_no_region_given(matcher):
    res = matcher.match("长沙的食品厂，大米要检测重金属")
    assert res.entities["city"] == "长沙市" and res.entities["region_source"] == "text"
    assert res.needs[0].category == "testing"
    assert res.referrals[0].institution_id == "T-LAB-CS"


def test_not_a_qi_need_gets_no_referrals(matcher):
    res = matcher.match("请问个人所得税怎么申报")
    assert res.needs == [] and res.referrals == []
    assert "abstain" in res.signals


def test_branches_of_one_group_do_not_fill_the_top(matcher):
    res = matcher.match("电热水壶要做泄漏电流检测", region="广东省深圳市")
    top3 = [r.institution_id for r in res.referrals[:3]]
    assert sum(i.startswith("T-LAB-SZ") for i in top3) <= 2
    assert "T-LAB-WH" in top3


def test_filters(matcher):
    res = matcher.match("电热水壶要做泄漏电流检测", filters=Filters(province="湖北省"))
    assert res.referrals and all(r.province == "湖北省" for r in res.referrals)
    res = matcher.match("我们厂的压力表到期了要送检", filters=Filters(small_business_discount=True))
    assert res.referrals and all(r.small_business_discount for r in res.referrals)
    res = matcher.match(
        "电热水壶CCC认证", filters=Filters(online=True, categories=["certification"])
    )
    assert [r.institution_id for r in res.referrals] == ["T-CERT-BJ"]


def test_json_contract(matcher):
    res = matcher.match("想注册商标再做个团体标准", region="湖南省长沙市", top_k=5)
    d = json.loads(json.dumps(res.to_dict(), ensure_ascii=False))
    assert set(d) >= {"needs", "referrals", "entities"}
    assert d["needs"] and all(
        n["category"] in CATEGORY_CODES and 0 <= n["score"] <= 1 for n in d["needs"]
    )
    # Two equally sure needs come in the order of the text (商标 before 团体标准).
    assert [n["category"] for n in d["needs"]][:2] == ["ip", "standards"]
    assert all(n["status"] == "wanted" for n in d["needs"])
    # Keys added by issue 15; nothing was removed.
    assert d["needs_not_wanted"] == [] and d["route"] is None
    assert len(d["referrals"]) <= 5
    for r in d["referrals"]:
        assert {
            "institution_id",
            "institution_name",
            "category",
            "score",
            "province",
            "city",
            "evidence",
        } <= set(r)
        assert r["category"] in CATEGORY_CODES and r["evidence"]
        assert {"line_id", "text", "matched_terms"} <= set(r["evidence"][0])
    assert d["entities"]["province"] == "湖南省" and d["entities"]["city"] == "长沙市"
    assert d["index_version"] and d["catalog_version"]


def test_bad_input_is_a_clear_error(matcher):
    with pytest.raises(InputError):
        matcher.match("   ")
    with pytest.raises(InputError, match="maximum"):
        matcher.match("压力表" * 5000)
    with pytest.raises(RegionError):
        matcher.match("压力表送检", region="火星市")


# --- need understanding (issue #3): bundle, redaction, entities, review, abstention


def test_multi_part_request_gets_a_bundle_with_one_referral_list_per_need(matcher):
    res = matcher.match("想注册商标再做个团体标准", region="湖南省长沙市")
    by_cat = {b.need.category: b for b in res.bundle}
    assert set(by_cat) == {"ip", "standards"}
    assert by_cat["ip"].need.text == "想注册商标" and (
        by_cat["ip"].need.start,
        by_cat["ip"].need.end,
    ) == (0, 5)
    assert by_cat["ip"].need.sub_service == "ip.trademark"
    assert by_cat["standards"].need.sub_service == "standards.drafting"
    for cat, item in by_cat.items():
        assert item.referrals and all(r.category == cat for r in item.referrals)
    assert {r.institution_id for r in res.referrals} >= {"T-IP-WH", "T-STD-CS"}
    assert all(r.covers for r in res.referrals)


def test_personal_data_never_reaches_the_result(matcher):
    res = matcher.match("电动自行车CCC认证，长沙××车业有限公司 许经理 13812344321，邮箱 xu@abc.com")
    d = json.dumps(res.to_dict(), ensure_ascii=False)
    assert "13812344321" not in d and "xu@abc.com" not in d and "许经理" not in d
    assert "[电话]" in res.text and res.entities["enterprise"] == "长沙××车业有限公司"
    assert res.needs[0].category == "certification"


def test_entities_in_the_contract(matcher):
    from datetime import date

    res = matcher.match(
        "我们是东莞做蓝牙耳机的，出口欧盟要做CE认证，急，三天内", today=date(2026, 11, 21)
    )
    e = res.to_dict()["entities"]
    assert e["city"] == "东莞市" and e["industry"]["code"] == "39"
    assert "蓝牙耳机" in e["products"] and "CE" in e["schemes"] and e["markets"] == ["欧盟"]
    assert e["urgency"] == "urgent" and e["deadline"] == "2026-11-24"


def test_ambiguous_region_is_flagged_for_review(matcher):
    res = matcher.match("南山区的电子厂，电热水壶要做泄漏电流检测")
    assert res.entities["province"] is None and len(res.entities["region_ambiguous"]) >= 2
    assert res.needs_review and any("地区不明确" in r for r in res.review_reasons)


def test_non_qi_request_has_an_abstain_reason(matcher):
    res = matcher.match("公司员工社保怎么补缴")
    assert res.needs == [] and res.referrals == [] and res.bundle == []
    assert res.abstain_reason and "未识别" in res.abstain_reason


def test_probabilities_are_reported_for_every_category(matcher):
    res = matcher.match("电热水壶要做CCC认证")
    p = res.signals["probabilities"]
    assert set(p) == set(CATEGORY_CODES) and all(0 <= v <= 1 for v in p.values())
    assert p["certification"] > 0.8 and p["brand"] < 0.2
    assert "CCC mark" in res.signals["strong_signals"]


# --- experts and shared instruments (issue #5)


def test_renting_an_instrument_refers_instruments_nearest_and_cheapest_first(matcher):
    res = matcher.match("仪器太贵买不起，想租气相色谱质谱联用仪", region="湖北省武汉市")
    need = res.needs[0]
    assert need.category == "testing" and need.resource_type == "instrument"
    refs = res.bundle[0].referrals
    assert [r.resource_type for r in refs[:2]] == ["instrument", "instrument"]
    top = refs[0]
    assert top.resource_id == "Q-GCMS-WH" and top.locality == "same_city"
    assert top.institution_id == "T-LAB-WH"  # the owner
    assert (
        top.details["price"] == 800
        and top.details["price_unit"] == "hour"
        and top.details["operated_service"]
    )


def test_asking_for_an_expert_refers_available_experts(matcher):
    res = matcher.match(
        "我们是做电热水壶的，产品返修率高，想请专家来厂里诊断", region="湖北省武汉市"
    )
    item = next(b for b in res.bundle if b.need.category == "quality")
    assert item.need.resource_type == "expert"
    ids = [r.resource_id for r in item.referrals]
    assert ids[0] == "X-QUAL-WH"
    assert ids.index("X-QUAL-WH") < ids.index("X-QUAL-CS")  # available before unavailable
    top = item.referrals[0]
    assert top.resource_type == "expert" and top.institution_id is None
    assert top.details["title"] == "高级工程师" and top.details["industry_match"] is True


def test_a_bundle_may_mix_resource_types(matcher):
    res = matcher.match("产品返修率高，想请专家诊断，再找实验室复测", region="湖北省武汉市")
    types = {b.need.category: b.need.resource_type for b in res.bundle}
    assert types.get("quality") == "expert" and types.get("testing") == "institution"
    assert {r.resource_type for r in res.referrals} == {"expert", "institution"}


def test_institutions_stay_the_default(matcher):
    res = matcher.match("我们厂的压力表到期了要送检", region="湖北省武汉市")
    assert all(n.resource_type == "institution" for n in res.needs)
    assert all(
        r.resource_type == "institution" and r.institution_id == r.resource_id
        for r in res.referrals
    )


def test_search_and_resource_detail_by_type(matcher):
    found = matcher.search("盐雾", filters=Filters(resource_types=["instrument"]))
    assert [r.resource_id for r in found] == ["Q-SALT-WH"]
    d = matcher.resource("X-BAT-SZ")
    assert d["resource_type"] == "expert" and d["details"]["modes"] == ["onsite", "remote"]
    assert d["capabilities"] and all(c["resource_id"] == "X-BAT-SZ" for c in d["capabilities"])
    assert matcher.institution("X-BAT-SZ") is None and matcher.resource("nope") is None
