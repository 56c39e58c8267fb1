"""Property-based tests of the text pipeline on arbitrary text (hypothesis).

Whatever a clerk pastes — any Unicode, control characters, markup, half a phone number — each
stage either answers or raises the one error meant for the user (InputError), and the promises
of the README hold: normalised text has no control characters or runs of white space, clause
spans point at their own words, and personal data never survives redaction.
"""

from __future__ import annotations

import json
import re
from datetime import date

from hypothesis import assume, example, given
from hypothesis import strategies as st

from qis_match.errors import InputError
from qis_match.text.normalize import decode_bytes, normalize_text
from qis_match.text.tokenize import canonical_code, default_tokenizer, find_codes
from qis_match.understanding.entities import extract_entities
from qis_match.understanding.query import parse_query
from qis_match.understanding.redact import PLACEHOLDER, redact
from qis_match.understanding.segment import split_clauses

from .reliability_support import budget

# Any text, with the characters that break pipelines over-represented: controls, white space of
# every kind, markup, full-width forms, CJK, digits and the separators phone numbers use.
SPICE = st.sampled_from(
    list("\x00\x01\x07\x1b\x7f\u0085\u2028\u2029\u200b\ufeff\u3000\u00a0\u202e\t\r\n")
    + list("<>&;\"'/=-:*#。，！？；、（）")
    + ["&lt;", "&#x3c;", "<b>", "</script>", "ＡＢ１２", "壓力錶", "联系人", "王经理", "GB/T 1"]
)
TEXT = st.lists(
    st.one_of(st.text(max_size=12), SPICE, st.text(alphabet="0123456789 -", max_size=14)),
    max_size=25,
).map("".join)
REGION = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["湖北省武汉市", "南山区"]))
CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _normal_or_error(text: str) -> str | None:
    try:
        return normalize_text(text, max_chars=2000)
    except InputError:
        return None


@budget(300)
@given(TEXT)
def test_normalize_gives_clean_text_or_a_user_error(text):
    out = _normal_or_error(text)
    if out is None:
        return
    assert out and out == out.strip()
    assert not CTRL.search(out), "control character survived"
    assert not re.search(r"\s\s", out), "run of white space survived"


@budget(200)
@given(st.binary(max_size=200))
def test_decode_bytes_never_guesses_silently(raw):
    try:
        text = decode_bytes(raw)
    except InputError:
        return
    assert isinstance(text, str) and "\x00" not in text


@budget(200)
@given(TEXT)
def test_tokenizer_on_any_text(text):
    tok = default_tokenizer()
    words, terms = tok.words(text), tok.terms(text)
    assert all(isinstance(w, str) and w for w in words)
    assert all(isinstance(t, str) and t for t in terms)
    for code in find_codes(text):
        assert canonical_code(code) == code  # canonical codes are a fixed point


@budget(200)
@given(TEXT)
def test_clause_spans_point_at_their_own_words(text):
    clean = _normal_or_error(text)
    assume(clean is not None)
    spans = split_clauses(clean)
    assert spans
    last = 0
    for s in spans:
        assert 0 <= s.start < s.end <= len(clean) and clean[s.start : s.end] == s.text
        assert s.start >= last  # in order, never overlapping
        last = s.end


@budget(150)
@given(TEXT)
def test_entities_of_any_text(text):
    clean = _normal_or_error(text)
    assume(clean is not None)
    ents = extract_entities(clean, today=date(2026, 11, 21)).to_dict()
    json.dumps(ents, ensure_ascii=False)  # the contract is JSON
    if ents["deadline"]:
        date.fromisoformat(ents["deadline"])


@budget(150)
@given(TEXT, REGION)
def test_parse_query_answers_or_raises_a_user_error(text, region):
    try:
        q = parse_query(text, region)
    except InputError:
        return
    assert q.text and not CTRL.search(q.text)
    assert all(isinstance(w, str) for w in q.words)


# --- personal data


def _digits(n: int):
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


MOBILE = st.tuples(st.sampled_from("3456789"), _digits(9), st.sampled_from(["", "-", " "])).map(
    lambda t: f"1{t[0]}{t[1][0]}{t[2]}{t[1][1:5]}{t[2]}{t[1][5:]}"
)
ID_CARD = st.tuples(
    st.integers(110000, 659999),
    st.integers(1950, 2009),
    st.integers(1, 12),
    st.integers(1, 28),
    _digits(3),
    st.sampled_from("0123456789X"),
).map(lambda t: f"{t[0]}{t[1]}{t[2]:02d}{t[3]:02d}{t[4]}{t[5]}")
EMAIL = st.tuples(
    st.text(alphabet="abcxyz0189._", min_size=1, max_size=10),
    st.text(alphabet="abcdexyz", min_size=1, max_size=8),
    st.sampled_from(["com", "cn", "com.cn", "org"]),
).map(lambda t: f"{t[0]}@{t[1]}.{t[2]}")
# What a clerk pastes around the contact details: Chinese text and punctuation, no digits or
# Latin letters touching the datum (those would make it a different, longer token).
AROUND = st.text(alphabet="我们厂的压力表到期了要送检，。；：联系电话手机邮箱 （）", max_size=20)
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@budget(300)
@given(AROUND, st.one_of(MOBILE, ID_CARD, EMAIL), AROUND, st.booleans())
def test_personal_data_never_survives_the_pipeline(before, datum, after, full_width):
    sent = datum.translate(FULL_WIDTH) if full_width else datum
    q = parse_query(f"要检测{before}{sent}{after}")
    core = re.sub(r"[-\s]", "", datum)
    assert core not in re.sub(r"[-\s]", "", q.text), q.text
    assert any(p in q.text for p in PLACEHOLDER.values())


@budget(200)
@given(TEXT)
@example("王经理王经理<")  # found by hypothesis: the repeated name leaked through the first pass
@example("王工李工张工")  # each placeholder exposes the next name
def test_redaction_is_stable(text):
    once = redact(text)
    assert redact(once) == once


# --- the whole matcher


@budget(20)
@given(TEXT, st.sampled_from([None, "湖北省武汉市", "湖南省长沙市"]))
def test_matcher_answers_any_text_or_raises_a_user_error(matcher, text, region):
    try:
        res = matcher.match(text, region=region, top_k=5)
    except InputError:
        return
    d = res.to_dict()
    json.loads(json.dumps(d, ensure_ascii=False))
    assert not CTRL.search(d["text"])
    assert len(d["referrals"]) <= 5
    if not d["needs"]:  # the README: then abstain_reason says why
        assert d["abstain_reason"] and not d["referrals"] and not d["bundle"]
    for need in d["needs"]:
        if need.get("start") is not None:
            assert d["text"][need["start"] : need["end"]] == need["text"]
