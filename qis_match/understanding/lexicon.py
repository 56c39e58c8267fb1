"""English QI terms and typo corrections for reading real input (data/understanding/lexicon.yaml).

Pasted requests are written in English, with a pinyin IME's homophones (检侧, 认正) or both. The
English terms teach the classifier the vocabulary of each sub-service; the typo table gives the
understanding stage a corrected reading of the text. Corrections keep the length, so every span
(need, status cue, route) still points at the clerk's own characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qis_match.errors import InputError
from qis_match.settings import DATA_DIR

LEXICON_FILE = DATA_DIR / "understanding" / "lexicon.yaml"


@dataclass(frozen=True)
class Lexicon:
    english: dict[str, tuple[str, ...]]  # sub-service → English terms
    typos: dict[str, str]  # wrong → right, same length
    homophone_terms: tuple[str, ...] = ()  # two-character QI words read through homophones

    def correct(self, text: str) -> str:
        """The text with known typos replaced (same length, so offsets stay valid)."""
        if not self.typos:
            return text
        return _typo_pattern(tuple(sorted(self.typos.items()))).sub(
            lambda m: self.typos[m.group(0)], text
        )


@lru_cache(maxsize=4)
def _typo_pattern(pairs: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    words = sorted((w for w, _ in pairs), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words))


def read_lexicon(path: Path, sub_services: set[str] | None = None) -> Lexicon:
    """Read and validate a lexicon file; a bad entry is named, not skipped."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    english: dict[str, tuple[str, ...]] = {}
    for sub, terms in (raw.get("english") or {}).items():
        if sub_services is not None and sub not in sub_services:
            raise InputError(f"{path}: english: unknown sub-service {sub!r}")
        english[sub] = tuple(str(t) for t in terms)
    typos: dict[str, str] = {}
    for wrong, right in (raw.get("typos") or {}).items():
        wrong, right = str(wrong), str(right)
        if len(wrong) != len(right) or wrong == right:
            raise InputError(
                f"{path}: typos: {wrong!r} → {right!r} must change the text and keep its length"
            )
        typos[wrong] = right
    terms = tuple(str(t) for t in raw.get("homophone_terms") or ())
    for t in terms:
        if not re.fullmatch(r"[\u4e00-\u9fff]{2}", t):
            raise InputError(f"{path}: homophone_terms: {t!r} must be two Chinese characters")
    return Lexicon(english, typos, terms)


@lru_cache(maxsize=2)
def load_lexicon(path: Path | None = None) -> Lexicon:
    if path is None and not LEXICON_FILE.exists():
        return Lexicon({}, {})
    return read_lexicon(path or LEXICON_FILE)
