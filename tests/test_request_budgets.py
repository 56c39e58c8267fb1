"""Bad input stays cheap (issue 23): the length is checked after normalising, and every
per-request stage works on a bounded part of the request, which the clerk is told about."""

from __future__ import annotations

import pytest

from qis_match.errors import InputError
from qis_match.text.normalize import normalize_text
from qis_match.understanding.query import cut_at_clause, parse_query

PASTE = "我们厂的压力表到期了要送检，另外电热水壶要做CCC认证，还想注册商标再做个团体标准，"


def test_length_is_checked_after_normalising():
    # 2,000 raw characters that NFKC turns into 8,000: the raw check alone let them through.
    with pytest.raises(InputError, match="once normalised"):
        normalize_text("㍿" * 2000, max_chars=2000)
    assert normalize_text("㍿" * 10, max_chars=2000) == "株式会社" * 10


def test_raw_length_is_still_refused_before_any_work():
    with pytest.raises(InputError, match="2001 characters"):
        normalize_text("测" * 2001, max_chars=2000)


def test_cut_at_clause_keeps_short_text_and_cuts_long_text_at_a_clause_end():
    assert cut_at_clause("压力表要送检", 400) == "压力表要送检"
    cut = cut_at_clause(PASTE * 20, 100)
    assert len(cut) <= 100 and (PASTE * 20).startswith(cut)
    assert cut.endswith(("送检", "认证", "标准"))
    # no clause end in the second half of the budget: a hard prefix
    assert cut_at_clause("测" * 500, 100) == "测" * 100


def test_parse_query_tokenizes_only_the_analysed_part():
    text = PASTE * 30
    q = parse_query(text, analyse_chars=200)
    assert q.text.startswith("我们厂的压力表") and len(q.text) > 800  # stored in full (redacted)
    assert q.cut and len(q.analysed) <= 200
    assert sum(len(w) for w in q.words) <= len(q.analysed)
    short = parse_query("压力表要送检", analyse_chars=200)
    assert not short.cut and short.analysed == short.text


def test_the_encoder_reads_at_most_its_token_budget(e5_encoder):
    from qis_match.encoders.e5 import E5Encoder

    enc = E5Encoder(max_query_tokens=32)
    long = "压力表检定电热水壶认证商标注册团体标准" * 20
    fitted = enc._fit(long)
    assert long.startswith(fitted) and 0 < len(fitted) < len(long)
    assert enc._model.token_count(fitted, True) <= 32
    assert enc._model.token_count(long[: len(fitted) + 1], True) > 32  # the longest such prefix
    assert enc._fit("压力表送检") == "压力表送检"
    assert enc.encode_queries([long]).shape == (1, enc.dim)


def test_a_long_request_is_understood_on_its_head_and_flagged(matcher):
    r = matcher.match((PASTE * 60)[:1990])  # near the length limit
    assert r.needs, "the needs at the head of the paste are still found"
    assert any("只分析了前" in reason for reason in r.review_reasons)
    assert r.needs_review
    assert len(r.text) > matcher.settings.analyse_max_chars  # stored text is not truncated
    short = matcher.match("压力表到期了要送检")
    assert not any("只分析了前" in reason for reason in short.review_reasons)
