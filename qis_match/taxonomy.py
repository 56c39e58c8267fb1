"""The QI service taxonomy: 8 stable category codes and their sub-services (data/taxonomy.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from qis_match.settings import DATA_DIR

CATEGORY_CODES: tuple[str, ...] = (
    "metrology",
    "standards",
    "testing",
    "certification",
    "quality",
    "ip",
    "brand",
    "other",
)


@dataclass(frozen=True)
class SubService:
    code: str
    name: str
    category: str
    description: str = ""
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    description: str = ""
    synonyms: tuple[str, ...] = ()
    sub_services: tuple[SubService, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]

    def category(self, code: str) -> Category:
        for c in self.categories:
            if c.code == code:
                return c
        raise KeyError(
            f"unknown category code {code!r}; expected one of {', '.join(CATEGORY_CODES)}"
        )

    @property
    def sub_services(self) -> dict[str, SubService]:
        return {s.code: s for c in self.categories for s in c.sub_services}

    def category_of(self, sub_service: str) -> str:
        return sub_service.split(".", 1)[0]

    def keywords(self) -> dict[str, str]:
        """Keyword → category code, for the strong lexical signals of need detection.

        Category synonyms and sub-service synonyms and names; a keyword listed under two
        categories is ambiguous and dropped.
        """
        owner: dict[str, set[str]] = {}
        for c in self.categories:
            words = set(c.synonyms)
            for s in c.sub_services:
                words.update(s.synonyms)
            for w in words:
                w = w.strip()
                if len(w) >= 2:
                    owner.setdefault(w, set()).add(c.code)
        return {w: next(iter(cs)) for w, cs in owner.items() if len(cs) == 1}


def _as_tuple(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(str(v) for v in value)  # type: ignore[union-attr]


def parse_taxonomy(raw: dict) -> Taxonomy:
    cats = []
    for c in raw["categories"]:
        subs = tuple(
            SubService(
                code=s["code"],
                name=s["name"],
                category=c["code"],
                description=s.get("description", "") or "",
                synonyms=_as_tuple(s.get("synonyms")),
            )
            for s in c.get("sub_services", [])
        )
        cats.append(
            Category(
                code=c["code"],
                name=c["name"],
                description=c.get("description", "") or "",
                synonyms=_as_tuple(c.get("synonyms")),
                sub_services=subs,
            )
        )
    codes = tuple(c.code for c in cats)
    if codes != CATEGORY_CODES:
        raise ValueError(f"taxonomy categories must be {CATEGORY_CODES}, got {codes}")
    for c in cats:
        for s in c.sub_services:
            if not s.code.startswith(c.code + "."):
                raise ValueError(f"sub-service {s.code} is not under category {c.code}")
    return Taxonomy(tuple(cats))


@lru_cache(maxsize=4)
def load_taxonomy(path: Path | None = None) -> Taxonomy:
    path = path or DATA_DIR / "taxonomy.yaml"
    with open(path, encoding="utf-8") as fh:
        return parse_taxonomy(yaml.safe_load(fh))
