"""A request, understood: clean text, words and terms, codes, and the region it concerns."""

from __future__ import annotations

from dataclasses import dataclass, field

from qis_match.errors import RegionError
from qis_match.geo import Gazetteer, Place, gazetteer
from qis_match.settings import Settings
from qis_match.text.normalize import normalize_text
from qis_match.text.tokenize import QiTokenizer, default_tokenizer, find_codes
from qis_match.understanding.redact import redact


@dataclass
class Query:
    raw: str  # as received: may hold personal data, never stored or logged
    text: str  # normalised and redacted: what is stored
    words: list[str]
    terms: list[str]
    codes: list[str]
    region: Place | None = None
    region_source: str | None = None  # "argument" | "text"
    region_alternatives: list[Place] = field(default_factory=list)
    analysed: str = ""  # the part understood and retrieved on: ``text`` cut to the budget

    def __post_init__(self) -> None:
        if not self.analysed:
            self.analysed = self.text

    @property
    def cut(self) -> bool:
        """Whether the request was longer than the analysis budget."""
        return self.analysed != self.text

    def entities(self) -> dict:
        """The ``entities`` object of the --json contract."""
        r = self.region
        ent: dict = {
            "province": r.province if r else None,
            "city": r.city if r else None,
            "district": r.county if r else None,
            "adcode": r.adcode if r else None,
            "region_source": self.region_source,
            "codes": self.codes,
        }
        if self.region_alternatives:
            ent["region_ambiguous"] = sorted(p.label() for p in self.region_alternatives)
        return ent


def parse_query(
    text: str,
    region: str | None = None,
    max_chars: int | None = Settings.model_fields["max_text_chars"].default,
    tokenizer: QiTokenizer | None = None,
    geo: Gazetteer | None = None,
    analyse_chars: int | None = None,
) -> Query:
    """Normalise and tokenize a request and settle its region.

    The clerk's ``region`` wins and must resolve exactly (RegionError otherwise); failing that,
    the first place named in the text is used, and an ambiguous one is reported, not guessed.
    Only the first ``analyse_chars`` characters (cut at a clause end) are tokenized and searched
    for a region, so the cost of a request is bounded whatever its length.
    """
    tokenizer = tokenizer or default_tokenizer()
    geo = geo or gazetteer()
    clean = redact(normalize_text(text, max_chars=max_chars))
    part = cut_at_clause(clean, analyse_chars) if analyse_chars else clean
    place, source, alternatives = None, None, []
    if region:
        place, source = geo.resolve(region), "argument"
    else:
        try:
            place, alternatives = geo.find_in_text(part)
        except RegionError:
            place = None
        source = "text" if place else None
    return Query(
        raw=text,
        text=clean,
        words=tokenizer.words(part),
        terms=tokenizer.terms(part),
        codes=find_codes(part),
        region=place,
        region_source=source,
        region_alternatives=alternatives,
        analysed=part,
    )


_CLAUSE_END = "。！？；;!?，,、 "


def cut_at_clause(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its longest prefix that ends a clause
    (or the hard prefix when no clause ends in the second half of the budget)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(c) for c in _CLAUSE_END)
    return head[:end].rstrip() if end >= limit // 2 else head
