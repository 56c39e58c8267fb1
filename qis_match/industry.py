"""GB/T 4754-2017《国民经济行业分类》 divisions, read once (data/industry/gbt4754_2017.yaml).

Experts list the divisions they know, requests are mapped to a division by its keywords, the
pages show division names, and the demo demand draws enterprises from them: one reader, so the
table is parsed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qis_match.settings import DATA_DIR


@dataclass(frozen=True)
class Division:
    code: str  # two digits
    name: str
    section: str  # letter
    section_name: str
    keywords: tuple[str, ...]  # the project's own words for inferring it (not the standard's)


@lru_cache(maxsize=2)
def divisions(path: Path | None = None) -> dict[str, Division]:
    """Division code → division, in the standard's order."""
    with open(path or DATA_DIR / "industry" / "gbt4754_2017.yaml", encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    sections = raw.get("sections") or {}
    return {
        str(d["code"]): Division(
            str(d["code"]),
            d["name"],
            d["section"],
            sections.get(d["section"], ""),
            tuple(d.get("keywords") or ()),
        )
        for d in raw["divisions"]
    }


def division_codes() -> frozenset[str]:
    return frozenset(divisions())
