"""Strong signals: phrases that settle a need regardless of the classifier (data/understanding/signals.yaml).

A CCC mark means certification; a compulsory-verification meter that is due means metrology;
an elevator's annual inspection means special equipment. The classifier learns these too, but a
rule makes them certain and explainable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qis_match.catalog.kinds import kinds
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


def resource_signals(text: str) -> set[str]:
    """Resource kinds the words of a text call for (租用仪器, 请专家 …): each kind declares its
    own words (``ResourceKind.calls_for``)."""
    up = text.upper()
    return {k.name for k in kinds() if k.calls_for(up)}


def find_signals(text: str, rules: tuple[SignalRule, ...] | None = None) -> list[SignalHit]:
    up = text.upper()
    hits = []
    for r in rules or load_rules():
        m = r.pattern.search(up)
        if m:
            hits.append(SignalHit(r.name, r.category, r.sub_service, r.floor, m.start(), m.end()))
    return hits
