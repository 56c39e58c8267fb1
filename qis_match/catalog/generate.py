"""Generate the FICTIONAL demo catalog from the curated reference lists in ``data/reference/``.

Reproducible (seeded) and sized by ``target_lines``: the default makes the demo catalog shipped in
``data/catalog/``; the benchmarks ask for 100k or 1M lines and get proportionally more
institutions of the same kinds. Every institution name ends in （演示）.

Reference lists (written by the project from public knowledge; real standard numbers only):
- testing.csv: product/object × test item × method standard
- metrology.csv: measuring device × ranges × accuracy classes × JJG/JJF regulation
- services.csv: certification, standards, quality, IP, branding and other services
- institutions.yaml: regions, institution types and how they are named and equipped
"""

from __future__ import annotations

import csv
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qis_match.catalog.kinds.expert import EXPERT_COLUMNS
from qis_match.catalog.kinds.institution import CAPABILITY_COLUMNS, INSTITUTION_COLUMNS
from qis_match.catalog.kinds.instrument import INSTRUMENT_COLUMNS
from qis_match.geo import Gazetteer, Place, gazetteer
from qis_match.settings import DATA_DIR

log = logging.getLogger(__name__)

DEFAULT_LINES = 16000
_ITEM_BY_SUB = {
    "metrology.verification": "检定",
    "metrology.calibration": "校准",
    "metrology.measurement_test": "计量测试",
    "metrology.reference_material": "标准物质",
    "metrology.prepackaged": "计量检验",
    "metrology.standard_setup": "建标服务",
    "metrology.management": "计量管理",
}


DEFAULT_EXPERTS = 220
# Which institution types share which kinds of instruments (instruments.csv: typical_owner),
# and how many each shares at the default size.
INSTRUMENT_OWNERS = {
    "inspection_institute": ({"inspection_institute", "testing_lab", "enterprise_lab"}, (3, 6)),
    "university_center": ({"university", "research_institute"}, (5, 10)),
    "testing_lab": ({"testing_lab", "enterprise_lab"}, (0, 2)),
    "metrology_institute": ({"metrology_institute"}, (1, 3)),
    "calibration_lab": ({"metrology_institute"}, (0, 2)),
    "onestop_center": ({"inspection_institute", "university", "testing_lab"}, (0, 2)),
}


@dataclass
class Reference:
    testing: list[dict]
    metrology: list[dict]
    services: list[dict]
    config: dict
    instruments: list[dict] = field(default_factory=list)
    experts: dict = field(default_factory=dict)

    @property
    def domains(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for r in self.testing:
            out.setdefault(r["domain"], []).append(r)
        return out


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]


def load_reference(directory: Path | None = None) -> Reference:
    d = directory or DATA_DIR / "reference"
    with open(d / "institutions.yaml", encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    experts = {}
    if (d / "experts.yaml").exists():
        with open(d / "experts.yaml", encoding="utf-8") as fh:
            experts = yaml.safe_load(fh)
    instruments = _read_csv(d / "instruments.csv") if (d / "instruments.csv").exists() else []
    return Reference(
        _read_csv(d / "testing.csv"),
        _read_csv(d / "metrology.csv"),
        _read_csv(d / "services.csv"),
        config,
        instruments,
        experts,
    )


def _city_place(geo: Gazetteer, province: str, city: str) -> Place:
    return geo.resolve(province + city if province != city else city)


def _short(city: str) -> str:
    for suffix in ("土家族苗族自治州", "市", "林区"):
        if city.endswith(suffix) and len(city) > len(suffix) + 1:
            return city[: -len(suffix)]
    return city


# Titles that only fit some fields; every other title (教授, 高级工程师 …) fits any field.
_TITLE_FIELDS = {
    "专利代理师": ("ip",),
    "律师": ("ip",),
    "一级注册计量师": ("metrology",),
    "注册审核员": ("certification", "quality"),
    "高级审核员": ("certification", "quality"),
    "注册安全工程师": ("other",),
    "高级检验师": ("testing", "metrology"),
    "主任医师": ("other.clinical_trial",),
    "主任药师": ("other.clinical_trial",),
    "六西格玛黑带大师": ("quality",),
    "正高级经济师": ("brand", "ip", "other"),
    "高级经济师": ("brand", "ip", "other"),
}


def _titles_for(titles: list[str], field_def: dict) -> list[str]:
    scopes = {field_def["category"], *field_def.get("sub_services", [])}
    fit = [t for t in titles if t not in _TITLE_FIELDS or scopes & set(_TITLE_FIELDS[t])]
    return fit or titles


_METHODS = ("第一法", "第二法", "第三法", "方法A", "方法B")


def _limitation(rng: random.Random) -> str:
    """A 限制范围 note in the style of accredited schedules (clause numbers, not standards)."""

    def clause() -> str:
        parts = [rng.randint(4, 12), rng.randint(1, 12)]
        if rng.random() < 0.6:
            parts.append(rng.randint(1, 9))
        return ".".join(map(str, parts))

    r = rng.random()
    if r < 0.45:
        return (
            "限制范围：只做第"
            + "、".join(sorted({clause() for _ in range(rng.randint(1, 3))}))
            + "条"
        )
    if r < 0.8:
        return (
            "限制范围：不做第"
            + "、".join(sorted({clause() for _ in range(rng.randint(1, 2))}))
            + "条"
        )
    return f"限制范围：只用{rng.choice(_METHODS)}（第{clause()}条）"


def _add_limitations(lines: list[dict], rate: float, rng: random.Random) -> None:
    for row in lines:
        eligible = row["category"] in ("testing", "metrology") and not row["description"]
        if eligible and rng.random() < rate:
            row["description"] = _limitation(rng)


class CatalogGenerator:
    def __init__(
        self, reference: Reference | None = None, seed: int = 7, geo: Gazetteer | None = None
    ) -> None:
        self.ref = reference or load_reference()
        self.rng = random.Random(seed)
        self.seed = seed
        self.geo = geo or gazetteer()
        self.cfg = self.ref.config
        self.services_by_sub: dict[str, list[dict]] = {}
        for r in self.ref.services:
            self.services_by_sub.setdefault(r["sub_service"], []).append(r)
        self.metrology_by_sub: dict[str, list[dict]] = {}
        for r in self.ref.metrology:
            self.metrology_by_sub.setdefault(r["sub_service"], []).append(r)
        self._names: set[str] = set()
        self._roots = [
            a + b for a in self.cfg["name_roots"]["first"] for b in self.cfg["name_roots"]["second"]
        ]

    # --- institutions
    def _plan(self, scale: float) -> list[tuple[str, str, str]]:
        """(province, city, type) for every institution to create."""
        plan = []
        for province, tiers in self.cfg["regions"].items():
            for tier, cities in tiers.items():
                for city in cities:
                    for typ, n in self.cfg["mix"][tier].items():
                        plan += [(province, city, typ)] * max(1, round(n * scale))
        for city in self.cfg["national"]["cities"]:
            for typ, n in self.cfg["national"]["mix"].items():
                plan += [(city, city, typ)] * max(
                    1, round(n * scale / len(self.cfg["national"]["cities"]))
                )
        return plan

    def _name(self, typ: str, place: Place, city: str, root: str | None = None) -> str:
        pattern = self.cfg["types"][typ]["name"]
        for _ in range(1000):
            r = root or self.rng.choice(self._roots)
            name = pattern.format(city=city, short=_short(city), root=r) + "（演示）"
            if name not in self._names:
                self._names.add(name)
                return name
            root = None
        n = len(self._names)
        name = (
            pattern.format(city=city, short=_short(city), root=self.rng.choice(self._roots))
            + f"{n}号（演示）"
        )
        self._names.add(name)
        return name

    def _address(self, city_place: Place) -> tuple[Place, str]:
        counties = [
            p
            for p in self.geo.by_code.values()
            if p.level == "county"
            and p.adcode.startswith(city_place.adcode[:4])
            and p.adcode != city_place.adcode
        ]
        if city_place.adcode[2:4] == "90" or not counties:
            counties = [city_place]
        place = self.rng.choice(counties)
        road = self.rng.choice(self.cfg["roads"])
        return place, f"{place.label()}{road}{self.rng.randint(1, 999)}号"

    def _institution(
        self,
        iid: str,
        typ: str,
        province: str,
        city: str,
        national: bool,
        name: str | None = None,
        parent: str = "",
    ) -> dict:
        t = self.cfg["types"][typ]
        rng = self.rng
        city_place = _city_place(self.geo, province, city)
        place, address = self._address(city_place)
        acc = [a for a, p in t["accreditations"].items() if rng.random() < p]
        online = rng.random() < t["online"]
        discount = rng.random() < t["discount"]
        lo, hi = t["turnaround"]
        area = self.cfg["area_codes"].get(city, "400")
        service_area = (
            "national"
            if national
            else (
                "province"
                if typ in {"metrology_institute", "inspection_institute", "standards_institute"}
                and city in self._hubs
                else "local"
            )
        )
        return {
            "institution_id": iid,
            "name": name or self._name(typ, city_place, city),
            "type": t["label"],
            "parent_id": parent,
            "adcode": place.adcode,
            "province": place.province,
            "city": place.city or "",
            "district": place.county or "",
            "address": address,
            "longitude": round(place.lon + rng.uniform(-0.02, 0.02), 6),
            "latitude": round(place.lat + rng.uniform(-0.02, 0.02), 6),
            "service_area": service_area,
            "accreditations": "|".join(acc),
            "channels": "online|onsite" if online else "onsite",
            "small_business_discount": "true" if discount else "false",
            "discount_note": rng.choice(self.cfg["discount_notes"]) if discount else "",
            "turnaround_days": rng.randint(lo, hi),
            "phone": f"{area}-0000{rng.randint(1000, 9999)}",
            "email": f"demo-{iid.lower()}@example.com",
            "description": f"演示数据（虚构机构）：{t['label']}。",
            "demo": "true",
        }

    # --- capability lines
    def _testing_lines(
        self,
        n: int,
        domain_range: list[int],
        domain_filter: list[str] | None,
        domains: list[str] | None = None,
    ) -> list[dict]:
        rng = self.rng
        all_domains = self.ref.domains
        names = sorted(all_domains)
        if domain_filter:
            names = [
                d for d in names if any(r["sub_service"] in domain_filter for r in all_domains[d])
            ]
        if domains is None:
            k = rng.randint(*domain_range)
            domains = rng.sample(names, min(k, len(names)))
        pool = [r for d in domains for r in all_domains[d]]
        while len(pool) < n and len(domains) < len(names):
            extra = rng.choice([d for d in names if d not in domains])
            domains.append(extra)
            pool += all_domains[extra]
        rows = rng.sample(pool, min(n, len(pool)))
        return [
            {
                "sub_service": r["sub_service"],
                "object": r["object"],
                "item": r["item"],
                "standard": r["standard"],
                "standard_title": r["standard_title"],
            }
            for r in rows
        ]

    def _metrology_lines(self, n: int, subs: list[str]) -> list[dict]:
        rng = self.rng
        pool = [r for s in subs for r in self.metrology_by_sub.get(s, [])]
        if not pool:
            return []
        out, seen = [], set()
        # Compulsory instruments first: every legal metrology institute verifies them.
        ordered = sorted(pool, key=lambda r: (r["compulsory"] != "yes", rng.random()))
        for r in ordered * 3:
            if len(out) >= n:
                break
            ranges = [x for x in r["ranges"].split("|") if x] or [""]
            accs = [x for x in r["accuracy"].split("|") if x] or [""]
            rg, ac = rng.choice(ranges), rng.choice(accs)
            key = (r["device"], r["sub_service"], rg, ac)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    "sub_service": r["sub_service"],
                    "object": r["device"],
                    "item": _ITEM_BY_SUB.get(r["sub_service"], ""),
                    "standard": r["regulation"],
                    "standard_title": r["regulation_title"],
                    "measuring_range": rg,
                    "accuracy": ac,
                }
            )
        return out

    def _service_lines(self, n: int, subs: list[str]) -> list[dict]:
        rng = self.rng
        pool = [r for s in subs for r in self.services_by_sub.get(s, [])]
        if not pool:
            return []
        rows = rng.sample(pool, min(n, len(pool)))
        return [
            {
                "sub_service": r["sub_service"],
                "object": r["service"],
                "item": ("适用：" + "、".join(o for o in r["objects"].split("|") if o))
                if r["objects"]
                else "",
                "standard": r["basis"],
                "description": r["description"],
            }
            for r in rows
        ]

    def _lines_for(
        self, typ: str, scale_lines: float, domains: list[str] | None = None
    ) -> list[dict]:
        t = self.cfg["types"][typ]
        n = max(3, round(t["lines"] * scale_lines * self.rng.uniform(0.7, 1.3)))
        subs = t["sub_services"]
        out: list[dict] = []
        for source, share in t["sources"].items():
            k = max(1, round(n * share))
            if source == "testing":
                out += self._testing_lines(
                    k, t.get("domains", [1, 2]), t.get("domain_filter"), domains
                )
            elif source == "metrology":
                msubs = [s for s in subs if s.startswith("metrology.")] or [
                    "metrology.verification",
                    "metrology.calibration",
                ]
                out += self._metrology_lines(k, msubs)
            else:
                ssubs = [s for s in subs if s in self.services_by_sub]
                out += self._service_lines(k, ssubs)
        return out

    def generate(
        self, target_lines: int = DEFAULT_LINES, limitation_rate: float = 0.0
    ) -> tuple[list[dict], list[dict]]:
        """(institutions, capability lines) with about ``target_lines`` lines.

        ``limitation_rate``: share of testing and metrology lines that state a limitation of scope
        (限制范围, as accredited schedules do: 只做第5.2条, 不做第6.3.1条, 只用第二法). Real province
        catalogs repeat the same standards across labs but differ in such details, so at scale most
        lines are distinct texts; the benchmarks use it to get that realistic mix. 0 (the demo
        catalog) draws nothing extra, so the shipped catalog does not change."""
        self._hubs = {c for tiers in self.cfg["regions"].values() for c in tiers.get("hub", [])}
        scale = max(1.0, target_lines / DEFAULT_LINES)
        plan = self._plan(scale)
        base = sum(self.cfg["types"][t]["lines"] for _, _, t in plan)
        groups = self.cfg.get("groups", [])
        base += sum(self.cfg["types"]["testing_lab"]["lines"] * len(g["cities"]) for g in groups)
        scale_lines = target_lines / base
        institutions, lines = [], []
        kinds: dict[str, str] = {}

        def add(inst: dict, caps: list[dict], kind: str) -> None:
            kinds[inst["institution_id"]] = kind
            institutions.append(inst)
            seen = set()
            for c in caps:
                key = tuple(sorted(c.items()))
                if key in seen:
                    continue
                seen.add(key)
                row = {k: "" for k in CAPABILITY_COLUMNS}
                row.update(c)
                row["line_id"] = f"{inst['institution_id']}-{len(seen):04d}"
                row["institution_id"] = inst["institution_id"]
                row["category"] = c["sub_service"].split(".", 1)[0]
                lines.append(row)

        for province, city, typ in plan:
            iid = f"INST-{len(institutions) + 1:05d}"
            national = province == city and city in self.cfg["national"]["cities"]
            add(
                self._institution(iid, typ, province, city, national),
                self._lines_for(typ, scale_lines),
                typ,
            )
        for g in groups:
            gid = f"GROUP-{g['root']}"
            domains = self.rng.sample(sorted(self.ref.domains), g["domains"])
            for city in g["cities"]:
                province = next(
                    p
                    for p, tiers in self.cfg["regions"].items()
                    if any(city in cs for cs in tiers.values())
                )
                iid = f"INST-{len(institutions) + 1:05d}"
                name = f"{g['root']}检测集团{_short(city)}分公司（演示）"
                inst = self._institution(
                    iid, "testing_lab", province, city, False, name=name, parent=gid
                )
                add(
                    inst,
                    self._lines_for("testing_lab", scale_lines, domains=list(domains)),
                    "testing_lab",
                )
        self.institution_kinds = kinds
        if limitation_rate > 0:
            _add_limitations(lines, limitation_rate, random.Random(self.seed + 1))
        return institutions, lines

    # --- shared instruments and experts (issue #5)
    def instruments(self, institutions: list[dict], kinds: dict[str, str]) -> list[dict]:
        """Instruments that institutions open to SMEs (仪器设备开放共享), owned by catalog institutions."""
        rng = self.rng
        out: list[dict] = []
        for inst in institutions:
            rule = INSTRUMENT_OWNERS.get(kinds[inst["institution_id"]])
            if rule is None or not self.ref.instruments:
                continue
            owners, (lo, hi) = rule
            pool = [r for r in self.ref.instruments if set(r["typical_owner"].split("|")) & owners]
            for r in rng.sample(pool, min(len(pool), rng.randint(lo, hi))):
                price = rng.randint(int(r["price_min"]), int(r["price_max"]))
                operated = r["operated_service"] == "yes"
                out.append(
                    {
                        "instrument_id": f"EQ-{len(out) + 1:05d}",
                        "name": r["instrument"],
                        "owner_institution_id": inst["institution_id"],
                        "sub_service": r["sub_service"],
                        "model": rng.choice(
                            [m for m in r["model_examples"].split("|") if m] or [""]
                        ),
                        "measures": r["measures"],
                        "adcode": "",
                        "address": "",
                        "price_unit": r["price_unit"],
                        "price": price - price % 10 if price >= 100 else price,
                        "booking_channel": rng.choice(
                            ["平台在线预约", "电话预约", "现场预约", "微信小程序预约"]
                        ),
                        "operated_service": "true" if operated else "false",
                        "description": "演示数据（虚构）："
                        + (
                            "可代检代测，也可预约机时自行操作。"
                            if operated
                            else "培训后按机时自行操作。"
                        ),
                        "demo": "true",
                    }
                )
        return out

    def experts(self, n: int) -> list[dict]:
        """Fictional experts (专家库): a field, its topics and industries, a city, availability."""
        rng, ex = self.rng, self.ref.experts
        if not ex:
            return []
        cities = [
            (p, c, tier)
            for p, tiers in self.cfg["regions"].items()
            for tier, cs in tiers.items()
            for c in cs
        ]
        weights = [{"hub": 6, "major": 2, "other": 1}[tier] for _, _, tier in cities]
        names: set[str] = set()
        out: list[dict] = []
        while len(out) < n:
            f = rng.choice(ex["fields"])
            province, city, _ = rng.choices(cities, weights)[0]
            place = _city_place(self.geo, province, city)
            name = rng.choice(ex["surnames"]) + "".join(
                rng.choice(ex["given_chars"]) for _ in range(rng.choice((1, 2, 2)))
            )
            if name in names:
                continue
            names.add(name)
            k = len(out) + 1
            out.append(
                {
                    "expert_id": f"EX-{k:05d}",
                    "name": name + "（演示）",
                    "title": rng.choice(_titles_for(ex["titles"], f)),
                    "affiliation": f"{city}某{rng.choice(ex['affiliation_kinds'])}",
                    "field": f["field"],
                    "category": f["category"],
                    "sub_services": "|".join(f["sub_services"]),
                    "sub_fields": "|".join(
                        rng.sample(f["sub_fields"], min(len(f["sub_fields"]), rng.randint(2, 4)))
                    ),
                    "industries": "|".join(
                        rng.sample(f["industries"], min(len(f["industries"]), rng.randint(1, 3)))
                    ),
                    "adcode": place.adcode,
                    "availability": rng.choices(
                        ["available", "limited", "unavailable"], [14, 5, 1]
                    )[0],
                    "modes": rng.choices(["onsite", "onsite|remote", "remote"], [5, 4, 1])[0],
                    "services": "|".join(
                        rng.sample(f["services"], min(len(f["services"]), rng.randint(2, 3)))
                    ),
                    "phone": f"{self.cfg['area_codes'].get(city, '400')}-0000{rng.randint(1000, 9999)}",
                    "email": f"demo-expert-{k:05d}@example.com",
                    "description": "演示数据（虚构人物）。",
                    "demo": "true",
                }
            )
        return out


def write_catalog(
    institutions: list[dict],
    lines: list[dict],
    out_dir: Path,
    experts: list[dict] | None = None,
    instruments: list[dict] | None = None,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = [
        ("institutions.csv", institutions, list(INSTITUTION_COLUMNS)),
        ("capabilities.csv", lines, list(CAPABILITY_COLUMNS)),
    ]
    if experts is not None:
        tables.append(("experts.csv", experts, list(EXPERT_COLUMNS)))
    if instruments is not None:
        tables.append(("instruments.csv", instruments, list(INSTRUMENT_COLUMNS)))
    for name, rows, cols in tables:
        tmp = out_dir / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        tmp.replace(out_dir / name)


def generate_catalog(
    out_dir: Path, target_lines: int = DEFAULT_LINES, seed: int = 7, limitation_rate: float = 0.0
) -> tuple[int, int]:
    gen = CatalogGenerator(seed=seed)
    institutions, lines = gen.generate(target_lines, limitation_rate)
    instruments = gen.instruments(institutions, gen.institution_kinds)
    experts = gen.experts(round(DEFAULT_EXPERTS * max(1.0, target_lines / DEFAULT_LINES)))
    write_catalog(institutions, lines, out_dir, experts, instruments)
    log.info(
        "demo catalog: %d institutions, %d lines, %d experts, %d instruments → %s",
        len(institutions),
        len(lines),
        len(experts),
        len(instruments),
        out_dir,
    )
    return len(institutions), len(lines)
