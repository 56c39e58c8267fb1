"""Read QI words mistyped with a pinyin IME: a character of a QI term replaced by another with the
same pinyin (专丽 → 专利, 报高 → 报告, 老字浩 → 老字号).

The typo table in ``lexicon.yaml`` lists typos someone has seen. This reader finds the ones nobody
listed: a window of 2–4 characters that is not itself a word, has the same toneless pinyin as a
term of the QI vocabulary (the taxonomy's names and synonyms, cut into words) and differs from it
in exactly one character is read as that term. Guards keep correct text alone: the window must
not be a common word (监测 is no typo of 检测), must not start or end inside a neighbouring word
(时间测试 holds no 检测), and each window is compared only with terms of its own length. The
correction keeps the length, so every span still points at the clerk's characters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from qis_match.taxonomy import Taxonomy
from qis_match.text.dictionary import word_frequency

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
COMMON_WORD = 10  # jieba dictionary frequency from which a window is a word, not a typo


@lru_cache(maxsize=8192)
def _reading(char: str) -> str:
    """The common toneless pinyin of one character (rare readings would match too much: 坏 pī)."""
    from pypinyin import Style, lazy_pinyin

    got = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return got[0] if got else ""


class HomophoneReader:
    """Same-length corrections of one mistyped character in a QI term."""

    def __init__(self, terms: Iterable[str], common_word: int = COMMON_WORD) -> None:
        self.common_word = common_word
        self.terms = frozenset(t for t in terms if 2 <= len(t) <= 4 and _HAN_RUN.fullmatch(t))
        # (length, position of the changed character, the other characters) → terms
        self._by_shape: dict[tuple[int, int, str], list[str]] = defaultdict(list)
        for t in self.terms:
            for i in range(len(t)):
                self._by_shape[(len(t), i, t[:i] + t[i + 1 :])].append(t)

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy, core: Iterable[str] = ()) -> HomophoneReader:
        """The vocabulary: the taxonomy's names and synonyms of three or four characters written
        wholly in Chinese (老字号, 卓越绩效, 检验报告), the ``core`` two-character QI words (检测,
        专利 …; a two-character synonym may be an everyday word such as 多久)."""
        phrases: set[str] = set()
        for c in taxonomy.categories:
            phrases.update([c.name, *c.synonyms])
            for s in c.sub_services:
                phrases.update([s.name, *s.synonyms])
        long_terms = {p for p in phrases if len(p) >= 3 and _HAN_RUN.fullmatch(p)}
        return cls([*long_terms, *core])

    def correct(self, text: str) -> str:
        """``text`` with each mistyped QI term read as the term (same length)."""
        if not self.terms or not text:
            return text
        chars = list(text)
        for run in _HAN_RUN.finditer(text):
            start, end = run.span()
            i = start
            while i < end - 1:
                fixed = self._fix_at(text, i, end)
                if fixed is None:
                    i += 1
                    continue
                term, n = fixed
                chars[i : i + n] = term
                i += n
        return "".join(chars)

    def _fix_at(self, text: str, i: int, end: int) -> tuple[str, int] | None:
        freq = word_frequency()
        for n in (4, 3, 2):
            if i + n > end:
                continue
            window = text[i : i + n]
            # the terms this window could be a typo of, looked up first: most windows have none,
            # and the guards below cost more than the lookup
            shapes = [
                (k, terms)
                for k in range(n)
                if (terms := self._by_shape.get((n, k, window[:k] + window[k + 1 :])))
            ]
            if not shapes:
                continue
            if window in self.terms or freq.get(window, 0) >= self.common_word:
                continue
            if self._inside_word(text, i, i + n, freq):
                continue
            for k, terms in shapes:
                # the changed character makes a word with its neighbour (在线监测: 监测 is right)
                if any(
                    freq.get(w, 0) >= self.common_word
                    for w in (window[max(0, k - 1) : k + 1], window[k : k + 2])
                    if len(w) == 2
                ):
                    continue
                typed = _reading(window[k])
                for term in terms:
                    if typed and typed == _reading(term[k]):
                        return term, n
        return None

    def _inside_word(self, text: str, s: int, e: int, freq: dict[str, int]) -> bool:
        """The window's first character ends a word with the one before it, or its last starts
        one with the one after it (时间测试: 间 belongs to 时间)."""
        before = text[s - 1 : s + 1] if s > 0 else ""
        after = text[e - 1 : e + 1] if e < len(text) else ""
        return any(len(w) == 2 and freq.get(w, 0) >= self.common_word for w in (before, after))
