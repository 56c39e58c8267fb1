import pytest

from qis_match.errors import RegionError
from qis_match.geo import distance_km, gazetteer


@pytest.mark.parametrize(
    "name, adcode",
    [
        ("湖北省武汉市", "420100"),
        ("株洲", "430200"),
        ("湘西州", "433100"),
        ("恩施", "422800"),
        ("仙桃", "429004"),
        ("神农架", "429021"),
        ("广东省深圳市南山区", "440305"),
        ("440305", "440305"),
    ],
)
def test_resolve(name, adcode):
    assert gazetteer().resolve(name).adcode == adcode


def test_unknown_region_is_reported():
    with pytest.raises(RegionError, match="unknown region"):
        gazetteer().resolve("火星市")


def test_ambiguous_region_is_reported_not_guessed():
    with pytest.raises(RegionError, match="ambiguous"):
        gazetteer().resolve("南山区")


def test_find_in_text():
    g = gazetteer()
    assert g.find_in_text("我们是东莞一家做五金的")[0].adcode == "441900"
    assert g.find_in_text("湖北省武汉市洪山区珞喻路")[0].adcode == "420111"
    assert g.find_in_text("我们厂的压力表到期了要送检") == (None, [])
    place, alternatives = g.find_in_text("南山区的电子厂")
    assert place is None and len(alternatives) >= 2


def test_city_codes_and_distance():
    g = gazetteer()
    assert g.resolve("广东省深圳市南山区").city_code == "440300"
    assert g.resolve("仙桃").city_code == "429004"
    wuhan, changsha = g.resolve("武汉"), g.resolve("长沙")
    assert 250 < distance_km(wuhan.lon, wuhan.lat, changsha.lon, changsha.lat) < 350
