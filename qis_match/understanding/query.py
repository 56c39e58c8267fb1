"""A request, understood: clean text, words and terms, codes, and the region it concerns."""

from __future__ import annotations

from dataclasses import dataclass, field

from qis_match.errors import RegionError
from qis_match.geo import Gazetteer, Place, gazetteer
from qis_match.text.normalize import normalize_text
from qis_match.text.tokenize import QiTokenizer, default_tokenizer, find_codes
from qis_match.understanding.redact import redact


@dataclass
class Query:
    raw: str  # as received: may hold personal data, never stored or logged
    text: str  # normalised and redacted
    words: list[str]
    terms: list[str]
    codes: list[str]
    region: Place | None = None
    region_source: str | None = None  # "argument" | "text"
    region_alternatives: list[Place] = field(default_factory=list)

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
    max_chars: int | None = 2000,
    tokenizer: QiTokenizer | None = None,
    geo: Gazetteer | None = None,
) -> Query:
    """Normalise and tokenize a request and settle its region.

    The clerk's ``region`` wins and must resolve exactly (RegionError otherwise); failing that,
    the first place named in the text is used, and an ambiguous one is reported, not guessed.
    """
    tokenizer = tokenizer or default_tokenizer()
    geo = geo or gazetteer()
    clean = redact(normalize_text(text, max_chars=max_chars))
    place, source, alternatives = None, None, []
    if region:
        place, source = geo.resolve(region), "argument"
    else:
        try:
            place, alternatives = geo.find_in_text(clean)
        except RegionError:
            place = None
        source = "text" if place else None
    return Query(
        raw=text,
        text=clean,
        words=tokenizer.words(clean),
        terms=tokenizer.terms(clean),
        codes=find_codes(clean),
        region=place,
        region_source=source,
        region_alternatives=alternatives,
    )
