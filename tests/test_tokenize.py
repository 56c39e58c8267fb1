import pytest

from qis_match.text.tokenize import canonical_code, code_base, default_tokenizer, find_codes


@pytest.mark.parametrize(
    "text, code",
    [
        ("按GB/T 29490-2013贯标", "GB/T 29490-2013"),
        ("按gb/t29490—2013贯标", "GB/T 29490-2013"),
        ("通过ISO 9001认证", "ISO 9001"),
        ("ISO9001:2015", "ISO 9001:2015"),
        ("IATF 16949汽车", "IATF 16949"),
        ("电池要做UN38.3", "UN38.3"),
        ("防水IP68", "IP68"),
        ("玩具EN71检测", "EN 71"),
        ("EN 71-1:2014+A1:2018", "EN 71-1:2014+A1:2018"),
        ("要做3C认证", "CCC"),
        ("要做CCC认证", "CCC"),
        ("依据JJG 52-2013检定", "JJG 52-2013"),
        ("GB 4706.1-2005", "GB 4706.1-2005"),
        ("ASTM F963-17", "ASTM F963-17"),
    ],
)
def test_codes_are_found_whole_and_canonical(text, code):
    assert code in find_codes(text)


def test_code_base_drops_the_year():
    assert code_base("GB/T 29490-2013") == "GB/T 29490"
    assert code_base("ISO 9001:2015") == "ISO 9001"
    assert code_base("GB 4706.1-2005") == "GB 4706.1"
    assert code_base("UN38.3") == "UN38.3"


def test_canonical_code_collapses_spacing():
    assert canonical_code("gb / t 19001 - 2016".replace(" / ", "/")) == "GB/T 19001-2016"


def test_words_keep_codes_and_domain_terms_whole():
    tk = default_tokenizer()
    words = tk.words("电热水壶要做3C认证，依据GB/T 29490-2013，电池做UN38.3和IP68")
    for w in ("电热水壶", "CCC", "GB/T 29490-2013", "UN38.3", "IP68"):
        assert w in words, words
    assert "压力表" in tk.words("我们厂的压力表到期了要送检")


def test_terms_drop_stop_words_and_add_code_bases():
    terms = default_tokenizer().terms("我们公司想要做GB/T 29490-2013贯标")
    assert "GB/T 29490-2013" in terms and "GB/T 29490" in terms
    assert "我们" not in terms and "公司" not in terms
