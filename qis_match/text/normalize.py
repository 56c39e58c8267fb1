"""Normalise pasted request text before anything else looks at it.

Clerks paste from web pages, WeChat and Word: HTML remnants, full-width letters and digits,
traditional characters, runs of punctuation and odd white space. All of that is folded here so
that extractors and retrievers see one canonical form.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from qis_match.errors import InputError

_TAG_RE = re.compile(r"<[^>]{0,200}>")
_WS_RE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Runs of the same punctuation mark fold to one; not "*" or "×", which mask digits (138****1234).
_REPEAT_PUNCT_RE = re.compile(r"([!?.,;:~。，！？；：、…·=#])\1+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def decode_bytes(raw: bytes) -> str:
    """Decode request bytes: UTF-8 first, then GB18030 (Chinese Windows); never guess silently."""
    if b"\x00" in raw:
        raise InputError("input is not text (it contains NUL bytes)")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("input is neither UTF-8 nor GB18030 text; re-save it as UTF-8")


def normalize_text(text: str, max_chars: int | None = None) -> str:
    """Return the canonical form of a request; raise InputError for unusable input.

    The length limit is checked on the raw input (so that a huge paste is refused before any work)
    and again on the result, because NFKC expands some characters ("㍿" → "株式会社"); nothing is
    silently truncated.
    """
    if not isinstance(text, str):
        raise InputError(f"request must be text, got {type(text).__name__}")
    if max_chars is not None and len(text) > max_chars:
        raise InputError(
            f"request is {len(text)} characters; the maximum is {max_chars}. "
            "Split it into separate requests."
        )
    t = html.unescape(_TAG_RE.sub(" ", text))
    t = unicodedata.normalize("NFKC", t)
    t = _CTRL_RE.sub(" ", t)
    t = _t2s().convert(t)
    t = _REPEAT_PUNCT_RE.sub(r"\1", t)
    t = _WS_RE.sub(" ", t).strip()
    if not t:
        raise InputError("request is empty")
    if max_chars is not None and len(t) > max_chars:
        raise InputError(
            f"request is {len(t)} characters once normalised (from {len(text)}); the maximum is "
            f"{max_chars}. Split it into separate requests."
        )
    return t
