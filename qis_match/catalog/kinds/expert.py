"""Experts of the expert library (专家库): people who diagnose, train and advise on site or remotely.

An expert is referred on their field and topics; their fit rises with availability and with
knowing the enterprise's industry (GB/T 4754-2017 division), and an expert who works remotely
is never "far".
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qis_match.catalog.cells import ROW, parse_bool, region_of, split_list, start_row
from qis_match.catalog.kinds.base import (
    RankContext,
    ResourceKind,
    TableContext,
    alternation,
    line_frame,
    resource_words,
)
from qis_match.catalog.kinds.cards import (
    AVAILABILITY as AVAILABILITY_TEXT,
)
from qis_match.catalog.kinds.cards import (
    MODE,
    chips,
    compact,
    contact_rows,
    industry_text,
    list_of,
    modes_text,
    place_of,
)
from qis_match.catalog.schema import AVAILABILITY, LIST_SEP, MODES, CatalogIssue
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy

if TYPE_CHECKING:
    from qis_match.catalog.loader import Catalog

EXPERT_COLUMNS: dict[str, bool] = {
    "expert_id": True,
    "name": True,
    "title": True,
    "affiliation": True,
    "field": True,
    "category": True,  # taxonomy category of the field
    "sub_services": True,  # "|"-separated taxonomy sub-service codes
    "sub_fields": False,  # "|"-separated topics
    "industries": False,  # "|"-separated GB/T 4754-2017 division codes
    "adcode": True,
    "availability": False,  # available | limited | unavailable
    "modes": False,  # "|"-separated subset of onsite|remote
    "services": False,  # "|"-separated: 现场诊断, 培训讲座 …
    "phone": False,
    "email": False,
    "description": False,
    "demo": False,
}
PLACE_COLUMNS = ("province", "city", "district", "longitude", "latitude")


class ExpertKind(ResourceKind):
    name = "expert"
    label = "专家"
    lines_title = "服务方向"
    checklist = (
        "问题描述与产品资料（问题现象、涉及批次和数量、返修或不良数据，图纸、照片或样件）",
        "现场条件（生产线和设备情况、可配合的技术人员；线上诊断请备好视频和数据）",
        "期望时间（希望专家上门或线上沟通的时段，以及整改完成的期限）",
    )
    table = "experts"
    id_column = "expert_id"
    columns = EXPERT_COLUMNS
    derived_columns = PLACE_COLUMNS
    remote_locality_floor = 0.6

    def __init__(
        self,
        availability_fit: dict[str, float] | None = None,
        industry_fit: float = 1.15,
    ) -> None:
        # Relevance multipliers: a limited or unavailable expert ranks lower; one who knows the
        # enterprise's industry higher.
        self.availability_fit = availability_fit or {
            "available": 1.0,
            "limited": 0.85,
            "unavailable": 0.5,
        }
        self.industry_fit = industry_fit

    def check_row(
        self, r: dict, file: str, first: dict[str, int], ctx: TableContext, table=None
    ) -> tuple[dict, list[CatalogIssue]]:
        rowno = int(r[ROW])
        rec, bad = start_row(r, EXPERT_COLUMNS, file, rowno, "expert_id", first, ctx.elsewhere)
        if rec["category"] and rec["category"] not in CATEGORY_CODES:
            bad.append(
                CatalogIssue(file, rowno, "category", f"unknown category {rec['category']!r}")
            )
        unknown = [x for x in split_list(rec["sub_services"]) if x not in ctx.taxonomy.sub_services]
        if unknown:
            bad.append(
                CatalogIssue(file, rowno, "sub_services", f"unknown sub-service code(s) {unknown}")
            )
        unknown = [x for x in split_list(rec["industries"]) if x not in ctx.industries]
        if unknown:
            bad.append(
                CatalogIssue(
                    file, rowno, "industries", f"not GB/T 4754-2017 division codes: {unknown}"
                )
            )
        rec["availability"] = rec["availability"] or "available"
        if rec["availability"] not in AVAILABILITY:
            bad.append(
                CatalogIssue(
                    file, rowno, "availability", f"must be one of {', '.join(AVAILABILITY)}"
                )
            )
        modes = split_list(rec["modes"]) or ["onsite"]
        if [m for m in modes if m not in MODES]:
            bad.append(CatalogIssue(file, rowno, "modes", f"use {LIST_SEP.join(MODES)}"))
        rec["modes"] = LIST_SEP.join(modes)
        place = region_of(rec["adcode"], ctx.geo, file, rowno, bad)
        b = parse_bool(rec["demo"])
        if b is None:
            bad.append(CatalogIssue(file, rowno, "demo", f"not a yes/no value: {rec['demo']!r}"))
        if not bad:
            rec.update(
                province=place.province,
                city=place.city or "",
                district=place.county or "",
                longitude=place.lon,
                latitude=place.lat,
                demo=bool(b),
            )
        return rec, bad

    def lines(self, catalog: Catalog, taxonomy: Taxonomy) -> pd.DataFrame:
        """One line per expert topic: ``质量诊断与帮扶：供应链质量 专家服务：现场诊断、培训讲座``.

        The expert's name and title stay out of the text, so that experts of one field and
        topic share a passage (embedded once), like labs sharing a capability."""
        rows = []
        for e in catalog.table(self.name).to_dict("records"):
            subs = split_list(e["sub_services"])
            sub = next(
                (s for s in subs if s.startswith(f"{e['category']}.")), subs[0] if subs else ""
            )
            services = "、".join(split_list(e.get("services", "")))
            topics = split_list(e.get("sub_fields", "")) or [e["field"]]
            for k, topic in enumerate(topics, start=1):
                rows.append(
                    {
                        "line_id": f"{e['expert_id']}-{k:02d}",
                        "resource_id": e["expert_id"],
                        "resource_type": self.name,
                        "category": e["category"],
                        "sub_service": sub,
                        "object": f"{e['field']}专家",
                        "item": topic,
                        "description": f"专家服务：{services}" if services else "专家服务",
                    }
                )
        return line_frame(rows)

    def resources(self, catalog: Catalog) -> pd.DataFrame:
        ex = catalog.table(self.name)
        return ex.assign(
            resource_id=ex["expert_id"],
            resource_type=self.name,
            type="专家",
            address=ex["city"],
            service_area="local",
            channels=ex["modes"].str.replace("remote", "online"),
            small_business_discount=False,
            institution_id=None,
            institution_name=None,
            remote=ex["modes"].str.contains("remote"),
            details=[
                json.dumps(
                    {
                        "title": e["title"],
                        "affiliation": e["affiliation"],
                        "field": e["field"],
                        "sub_fields": split_list(e["sub_fields"]),
                        "industries": split_list(e["industries"]),
                        "availability": e["availability"],
                        "modes": split_list(e["modes"]),
                        "services": split_list(e["services"]),
                    },
                    ensure_ascii=False,
                )
                for e in ex.to_dict("records")
            ],
        )

    @cached_property
    def _call(self) -> re.Pattern[str] | None:
        words = resource_words().get("expert_words")
        if not words:
            return None
        # "专家说…/专家组要求…" reports someone else's expert, and "贵所专家" is the institution's
        # own staff: neither is a request for an expert of the expert library.
        return re.compile(
            f"(?<!贵所)(?<!贵院)(?<!贵中心)(?<!贵单位)(?<!贵司)(?<!机构的)(?<!你们的)(?<!你们)"
            f"(?:{alternation(words)})(?!说|要求|意见|组|评审|认为|提出|指出)"
        )

    def calls_for(self, upper_text: str) -> bool:
        return self._call is not None and bool(self._call.search(upper_text))

    def prepare(self, rows: pd.DataFrame) -> dict:
        return {
            "availability": rows["availability"].map(self.availability_fit).fillna(1.0).to_numpy(),
            "industries": [set(x.split("|")) - {""} for x in rows["industries"]],
        }

    def fit(self, state: dict, idx: np.ndarray, ctx: RankContext) -> np.ndarray:
        out = state["availability"][idx].astype(np.float64)
        if ctx.industry:
            knows = np.array([ctx.industry in state["industries"][i] for i in idx], dtype=bool)
            out *= np.where(knows, self.industry_fit, 1.0)
        return out

    def card(self, item: dict, context: str) -> dict:
        d = item.get("details") or {}
        if context == "slip":
            return {
                "name_note": f"（{d['title']}）" if d.get("title") else "",
                "slip_rows": _slip_rows(item, d),
                "checklist_extra": [],
            }
        who = " · ".join(x for x in (d.get("title"), d.get("affiliation")) if x)
        badges = _badges(d)
        if context == "detail":
            return {"subtitle": who, "badges": badges, "rows": _rows(item, d)}
        facts = compact(
            [
                {"key": "field", "label": "领域", "value": d.get("field") or ""},
                {"label": "擅长", "value": "、".join(list_of(d.get("sub_fields")))},
                {"label": "服务", "value": "、".join(list_of(d.get("services")))},
            ]
        )
        if d.get("industry_match") is True:
            badges.append({"text": "熟悉贵企业行业", "tone": "industry-match"})
        return {
            "subtitle": who or "专家",
            "facts": facts,
            "place": {"label": "所在地", "value": place_of(item)},
            "badges": badges,
        }

    def referral_details(self, details: dict, state: dict, i: int, ctx: RankContext) -> dict:
        if ctx.industry:
            details["industry_match"] = ctx.industry in state["industries"][i]
        return details


def _badges(d: dict) -> list[dict]:
    """Availability, then one badge per way of working."""
    out = []
    a = d.get("availability")
    if a:
        tone = f"avail avail-{a if a in AVAILABILITY_TEXT else 'unknown'}"
        out.append({"text": AVAILABILITY_TEXT.get(a, a), "tone": tone, "title": "可约情况"})
    for m in list_of(d.get("modes")):
        out.append({"text": MODE.get(m, m), "tone": f"mode mode-{m if m in MODE else 'other'}"})
    return out


def _rows(r: dict, d: dict) -> list[dict]:
    """The expert's page."""
    a = d.get("availability") or ""
    gbt = "GB/T 4754-2017 国民经济行业分类 大类"
    return compact(
        [
            {"label": "职称", "key": "title", "value": d.get("title") or ""},
            {"label": "工作单位", "key": "affiliation", "value": d.get("affiliation") or ""},
            {"label": "专业领域", "key": "field", "value": d.get("field") or ""},
            {"label": "擅长方向", "key": "topics", "chips": chips(d.get("sub_fields"))},
            {
                "label": "熟悉行业",
                "key": "industries",
                "chips": [
                    {"text": industry_text(c), "tone": "industry", "title": f"{gbt} {c}"}
                    for c in list_of(d.get("industries"))
                ],
            },
            {"label": "服务内容", "key": "services", "chips": chips(d.get("services"))},
            {"label": "可约情况", "key": "availability", "value": AVAILABILITY_TEXT.get(a, a)},
            {"label": "服务方式", "key": "modes", "value": modes_text(d.get("modes"))},
            {"label": "所在地", "key": "place", "value": place_of(r)},
            {"label": "电话", "key": "phone", "value": r.get("phone") or ""},
            {"label": "邮箱", "key": "email", "value": r.get("email") or ""},
        ]
    )


def _slip_rows(s: dict, d: dict) -> list[dict]:
    a = d.get("availability")
    return [
        {"label": "工作单位", "value": d.get("affiliation") or ""},
        {"label": "专业领域", "value": d.get("field") or ""},
        {"label": "服务方式", "value": modes_text(d.get("modes"))},
        {"label": "可约情况", "value": AVAILABILITY_TEXT.get(a) or a or "以专家答复为准"},
        {"label": "所在地", "value": place_of(s)},
        *contact_rows(s),
    ]
