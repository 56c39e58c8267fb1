import pytest

from qis_match.errors import InputError
from qis_match.text.normalize import decode_bytes, normalize_text


def test_full_width_becomes_half_width():
    assert normalize_text("ＧＢ／Ｔ　２９４９０－２０１３") == "GB/T 29490-2013"


def test_traditional_becomes_simplified():
    assert normalize_text("我們公司的電熱水壺要做認證") == "我们公司的电热水壶要做认证"


def test_html_remnants_and_entities_are_removed():
    assert normalize_text("<p>压力表&nbsp;检定</p><br/>") == "压力表 检定"


def test_repeated_punctuation_and_whitespace_collapse():
    assert normalize_text("急！！！  压力表\n\n送检。。。") == "急! 压力表 送检。"


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "<br>"])
def test_empty_text_is_a_clear_error(bad):
    with pytest.raises(InputError, match="empty"):
        normalize_text(bad)


def test_too_long_text_is_refused_not_truncated():
    with pytest.raises(InputError, match="maximum is 50"):
        normalize_text("压" * 51, max_chars=50)
    assert normalize_text("压" * 50, max_chars=50) == "压" * 50


def test_non_text_is_refused():
    with pytest.raises(InputError, match="must be text"):
        normalize_text(b"abc")  # type: ignore[arg-type]


def test_decode_bytes_utf8_gb18030_and_garbage():
    assert decode_bytes("压力表".encode()) == "压力表"
    assert decode_bytes("压力表".encode("gb18030")) == "压力表"
    with pytest.raises(InputError, match="not text"):
        decode_bytes(b"\x00\x01binary")
    with pytest.raises(InputError, match="UTF-8"):
        decode_bytes(b"\xff\xfe\xfd\x80\x80")
