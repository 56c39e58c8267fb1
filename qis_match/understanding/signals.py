"""Strong signals: phrases that settle a need regardless of the classifier (data/understanding/signals.yaml).

A CCC mark means certification; a compulsory-verification instrument that is due means metrology;
an elevator's annual inspection means special equipment. The classifier learns these too, but a
rule makes them certain and explainable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qis_match.settings import DATA_DIR


@dataclass(frozen=True)
class SignalRule:
    name: str
    pattern: re.Pattern[str]
    category: str
    sub_service: str
    floor: float


@dataclass(frozen=True)
class SignalHit:
    rule: str
    category: str
    sub_service: str
    floor: float
    start: int
    end: int


@lru_cache(maxsize=2)
def load_rules(path: Path | None = None) -> tuple[SignalRule, ...]:
    with open(path or DATA_DIR / "understanding" / "signals.yaml", encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)["rules"]
    return tuple(
        SignalRule(
            r["name"],
            re.compile(r["pattern"]),
            r["category"],
            r.get("sub_service") or "",  # empty: the classifier names the sub-service
            float(r["floor"]),
        )
        for r in raw
    )


@dataclass(frozen=True)
class ResourceRule:
    name: str
    pattern: re.Pattern[str]
    resource_type: str


@lru_cache(maxsize=2)
def load_resource_rules(path: Path | None = None) -> tuple[ResourceRule, ...]:
    """An instrument rule (a renting verb near an instrument word) and an expert rule."""
    with open(path or DATA_DIR / "understanding" / "signals.yaml", encoding="utf-8") as fh:
        raw = yaml.safe_load(fh).get("resource_signals") or {}
    if not raw:
        return ()

    def alt(words: list[str]) -> str:
        return "|".join(re.escape(str(w).upper()) for w in sorted(words, key=len, reverse=True))

    verbs, nouns = alt(raw["instrument_verbs"]), alt(raw["instrument_nouns"])
    return (
        ResourceRule(
            "rent an instrument",
            re.compile(f"(?:{verbs}).{{0,12}}(?:{nouns})|(?:{nouns}).{{0,8}}(?:{verbs})"),
            "instrument",
        ),
        # "专家说…/专家组要求…" reports someone else's expert, and "贵所专家" is the institution's own
        # staff: neither is a request for an expert of the expert library.
        ResourceRule(
            "ask an expert",
            re.compile(
                f"(?<!贵所)(?<!贵院)(?<!贵中心)(?<!贵单位)(?<!贵司)(?<!机构的)(?<!你们的)(?<!你们)"
                f"(?:{alt(raw['expert_words'])})(?!说|要求|意见|组|评审|认为|提出|指出)"
            ),
            "expert",
        ),
    )


def resource_signals(text: str) -> set[str]:
    """Resource types (expert, instrument) the words of a text call for."""
    up = text.upper()
    return {r.resource_type for r in load_resource_rules() if r.pattern.search(up)}


def find_signals(text: str, rules: tuple[SignalRule, ...] | None = None) -> list[SignalHit]:
    up = text.upper()
    hits = []
    for r in rules or load_rules():
        m = r.pattern.search(up)
        if m:
            hits.append(SignalHit(r.name, r.category, r.sub_service, r.floor, m.start(), m.end()))
    return hits
