"""QI-aware tokenization: jieba with the project lexicon, standard codes and marks kept whole.

jieba alone cuts ``GB/T 29490-2013`` into seven pieces and ``ISO 9001`` into two, which ruins
both lexical matching and the matched-terms evidence. Codes are therefore found first with
regular expressions, canonicalised (upper case, one space between prefix and number) and emitted
as single tokens, together with their year-less base form so that ``GB/T 29490`` in a request
matches ``GB/T 29490-2013`` in a catalog.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qis_match.settings import DATA_DIR

# Chinese national/industry/local/group standards and metrology regulations.
_CN_PREFIX = r"(?:[A-Z]{1,4}/[TZ]|GBZ|GB|GJB|JJG|JJF|JTG|TSG|HJ|QB|YY|NY|GA|WS|JGJ|CJJ|CECS|DB\d{2,6}/T|T/[A-Z]{2,12})"
_CN_CODE = _CN_PREFIX + r"\s*[A-Z]?\d{1,6}(?:\.\d{1,3}[A-Z]?)*[A-Z]?(?:\s*[-—–:]\s*\d{2,4})?"
# International and foreign standards.
_INTL_PREFIX = r"(?:ISO/IEC|ISO/TS|ISO/TR|IEC/TS|IEC TS|IEC TR|ISO TS|ISO|IEC|EN|ASTM|UL|IATF|ANSI|BS|JIS|DIN|AS/NZS|SAE|IEEE|CISPR|PAS|SA)"
_INTL_CODE = (
    _INTL_PREFIX
    + r"\s*[A-Z]?\s*\d{1,6}(?:[.-][A-Z]?\d{1,4}[A-Z]?)*(?::\s*\d{4})?"
    + r"(?:\s*\+\s*(?:A|AMD)\d{1,2}(?::\d{4})?)*"
)
_OTHER_CODE = r"UN\s?38\.3|IP[X\d][X\d]|3C(?!数码)|CCC|CNAS-CL\d{2}(?::\d{4})?"
CODE_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_CN_CODE}|{_INTL_CODE}|{_OTHER_CODE})(?![A-Za-z0-9])", re.I
)

_ALIASES = {"3C": "CCC"}
_PUNCT_RE = re.compile(r"^[\W_]+$", re.UNICODE)


def canonical_code(raw: str) -> str:
    """``gb/t29490 — 2013`` → ``GB/T 29490-2013``; ``iso9001:2015`` → ``ISO 9001:2015``."""
    s = re.sub(r"\s+", " ", raw.upper().strip())
    s = re.sub(r"\s*[-—–]\s*", "-", s)
    s = re.sub(r"\s*:\s*", ":", s)
    s = re.sub(r"\s*\+\s*", "+", s)
    s = _ALIASES.get(s, s)
    if s.startswith("UN"):
        return "UN38.3"
    m = re.match(rf"^({_CN_PREFIX}|{_INTL_PREFIX})\s*([A-Z]?)\s*(\d.*)$", s)
    if m:
        prefix, letter, rest = m.groups()
        number = (letter + rest) if letter else rest
        if letter and prefix in {"ASTM"}:
            number = letter + rest
        return f"{prefix} {number}"
    return s


def code_base(code: str) -> str:
    """Year-less form of a canonical code: ``GB/T 29490-2013`` → ``GB/T 29490``."""
    base = re.sub(r":\d{4}.*$", "", code)
    base = re.sub(r"-(?:19|20)\d{2}$", "", base)
    return base


def find_codes(text: str) -> list[str]:
    """Canonical standard codes and marks in their order of appearance (deduplicated)."""
    seen: dict[str, None] = {}
    for m in CODE_RE.finditer(text):
        seen.setdefault(canonical_code(m.group(0)), None)
    return list(seen)


@lru_cache(maxsize=4)
def load_stopwords(path: Path | None = None) -> frozenset[str]:
    path = path or DATA_DIR / "lexicon" / "stopwords.txt"
    if not path.exists():
        return frozenset()
    with open(path, encoding="utf-8") as fh:
        return frozenset(w.strip() for w in fh if w.strip() and not w.startswith("#"))


@dataclass
class QiTokenizer:
    """jieba + the QI lexicon + code protection. Thread-safe after the first call."""

    dict_path: Path | None = None
    stopwords_path: Path | None = None

    def __post_init__(self) -> None:
        self._jieba = None
        self._lock = threading.Lock()
        self.dict_path = self.dict_path or DATA_DIR / "lexicon" / "jieba_dict.txt"
        self.stopwords = load_stopwords(self.stopwords_path)

    @property
    def jieba(self):
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import logging

                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tk = jieba.Tokenizer()
                    if self.dict_path and Path(self.dict_path).exists():
                        tk.load_userdict(str(self.dict_path))
                    tk.initialize()
                    self._jieba = tk
        return self._jieba

    def _segments(self, text: str) -> Iterable[tuple[str, bool]]:
        """Split text into (piece, is_code) segments."""
        pos = 0
        for m in CODE_RE.finditer(text):
            if m.start() > pos:
                yield text[pos : m.start()], False
            yield m.group(0), True
            pos = m.end()
        if pos < len(text):
            yield text[pos:], False

    def words(self, text: str) -> list[str]:
        """Plain segmentation (codes whole, punctuation and spaces dropped), for people to read."""
        out: list[str] = []
        for piece, is_code in self._segments(text):
            if is_code:
                out.append(canonical_code(piece))
                continue
            for w in self.jieba.cut(piece, HMM=True):
                w = w.strip()
                if w and not _PUNCT_RE.match(w):
                    out.append(w.upper() if w.isascii() else w)
        return out

    def terms(self, text: str) -> list[str]:
        """Index/query terms for BM25: search-mode sub-words, code bases, no stop words."""
        out: list[str] = []
        for piece, is_code in self._segments(text):
            if is_code:
                code = canonical_code(piece)
                out.append(code)
                base = code_base(code)
                if base != code:
                    out.append(base)
                continue
            for w in self.jieba.cut_for_search(piece, HMM=True):
                w = w.strip()
                if not w or _PUNCT_RE.match(w):
                    continue
                w = w.upper() if w.isascii() else w
                if w in self.stopwords:
                    continue
                out.append(_ALIASES.get(w, w))
        return out

    def content_words(self, text: str) -> list[str]:
        """Words that carry meaning (no stop words), for matched-terms evidence."""
        return [w for w in self.words(text) if w not in self.stopwords and len(w) > 1]


@lru_cache(maxsize=2)
def default_tokenizer() -> QiTokenizer:
    return QiTokenizer()
