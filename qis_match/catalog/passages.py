"""How a capability line reads to the retrievers.

One text per line, built from the line's own fields only (never the institution's name or
city), so that the same capability held by forty labs is one text, embedded once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from qis_match.taxonomy import Taxonomy

if TYPE_CHECKING:
    from qis_match.catalog.loader import Catalog


def capability_text(line: Mapping[str, str], taxonomy: Taxonomy) -> str:
    """``电热水壶：泄漏电流 GB 4706.1-2005 家用和类似用途电器的安全… （电子电器与电磁兼容检测）``."""
    head = line.get("object", "") or ""
    item = line.get("item", "") or ""
    if item:
        head = f"{head}：{item}" if head else item
    parts = [head]
    for col in ("standard", "standard_title", "measuring_range", "accuracy"):
        v = line.get(col, "") or ""
        if v:
            parts.append(v)
    desc = (line.get("description", "") or "")[:120]
    if desc:
        parts.append(desc)
    sub = taxonomy.sub_services.get(line.get("sub_service", ""))
    if sub is not None:
        parts.append(f"（{sub.name}）")
    return " ".join(p for p in parts if p)


LINE_COLUMNS = [
    "line_id",
    "resource_id",
    "resource_type",
    "category",
    "sub_service",
    "object",
    "item",
    "standard",
    "standard_title",
    "measuring_range",
    "accuracy",
    "description",
]


def institution_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Capability lines as resource lines (the institution is the resource)."""
    out = lines.rename(columns={"institution_id": "resource_id"}).assign(
        resource_type="institution"
    )
    return out[LINE_COLUMNS]


def expert_lines(experts: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """One line per expert topic: ``质量诊断与帮扶：供应链质量 专家服务：现场诊断、培训讲座（质量诊断…）``.

    The expert's name and title stay out of the text, so that experts of one field and topic
    share a passage (embedded once), like labs sharing a capability."""
    rows = []
    for e in experts.to_dict("records"):
        subs = [s for s in str(e["sub_services"]).split("|") if s]
        sub = next((s for s in subs if s.startswith(f"{e['category']}.")), subs[0] if subs else "")
        services = "、".join(x for x in str(e.get("services", "")).split("|") if x)
        topics = [t for t in str(e.get("sub_fields", "")).split("|") if t] or [e["field"]]
        for k, topic in enumerate(topics, start=1):
            rows.append(
                {
                    "line_id": f"{e['expert_id']}-{k:02d}",
                    "resource_id": e["expert_id"],
                    "resource_type": "expert",
                    "category": e["category"],
                    "sub_service": sub,
                    "object": f"{e['field']}专家",
                    "item": topic,
                    "standard": "",
                    "standard_title": "",
                    "measuring_range": "",
                    "accuracy": "",
                    "description": f"专家服务：{services}" if services else "专家服务",
                }
            )
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def instrument_lines(instruments: pd.DataFrame) -> pd.DataFrame:
    """One line per shared instrument: ``扫描电子显微镜：断口形貌观察、… ZEISS Sigma 300 仪器共享（…）``."""
    rows = []
    for r in instruments.to_dict("records"):
        measures = "、".join(x for x in str(r.get("measures", "")).split("|") if x)
        mode = "可代检代测" if r.get("operated_service") else "预约机时自行操作"
        rows.append(
            {
                "line_id": f"{r['instrument_id']}-01",
                "resource_id": r["instrument_id"],
                "resource_type": "instrument",
                "category": r["category"],
                "sub_service": r["sub_service"],
                "object": f"{r['name']}（仪器共享）",
                "item": measures,
                "standard": "",
                "standard_title": "",
                "measuring_range": "",
                "accuracy": str(r.get("model", "") or ""),
                "description": mode,
            }
        )
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


RESOURCE_COLUMNS = [
    "resource_id",
    "resource_type",
    "name",
    "type",
    "parent_id",
    "adcode",
    "province",
    "city",
    "district",
    "address",
    "longitude",
    "latitude",
    "service_area",
    "accreditations",
    "channels",
    "small_business_discount",
    "discount_note",
    "turnaround_days",
    "phone",
    "email",
    "institution_id",  # the institution behind it: itself, an instrument's owner, none for experts
    "institution_name",
    "availability",
    "remote",
    "industries",
    "price",
    "price_unit",
    "details",  # JSON: type-specific facts shown with a referral
]


def resources_table(
    institutions: pd.DataFrame, experts: pd.DataFrame, instruments: pd.DataFrame
) -> pd.DataFrame:
    """Institutions, experts and instruments in one table, so that ranking treats them alike."""
    inst = institutions.assign(
        resource_id=institutions["institution_id"],
        resource_type="institution",
        institution_name=institutions["name"],
        availability="available",
        remote=institutions["channels"].str.contains("online"),
        industries="",
        price=None,
        price_unit="",
        details="{}",
    )
    frames = [inst]
    if len(experts):
        ex = experts.assign(
            resource_id=experts["expert_id"],
            resource_type="expert",
            type="专家",
            parent_id="",
            address=experts["city"],
            service_area="local",
            accreditations="",
            channels=experts["modes"].str.replace("remote", "online"),
            small_business_discount=False,
            discount_note="",
            turnaround_days=None,
            institution_id=None,
            institution_name=None,
            remote=experts["modes"].str.contains("remote"),
            price=None,
            price_unit="",
            details=[
                json.dumps(
                    {
                        "title": e["title"],
                        "affiliation": e["affiliation"],
                        "field": e["field"],
                        "sub_fields": [x for x in str(e["sub_fields"]).split("|") if x],
                        "industries": [x for x in str(e["industries"]).split("|") if x],
                        "availability": e["availability"],
                        "modes": [x for x in str(e["modes"]).split("|") if x],
                        "services": [x for x in str(e["services"]).split("|") if x],
                    },
                    ensure_ascii=False,
                )
                for e in experts.to_dict("records")
            ],
        )
        frames.append(ex)
    if len(instruments):
        owners = institutions.set_index("institution_id")
        eq = instruments.assign(
            resource_id=instruments["instrument_id"],
            resource_type="instrument",
            type="共享仪器",
            parent_id="",
            service_area="local",
            accreditations=instruments["owner_institution_id"].map(owners["accreditations"]),
            channels="onsite",
            small_business_discount=instruments["owner_institution_id"].map(
                owners["small_business_discount"]
            ),
            discount_note="",
            turnaround_days=None,
            phone=instruments["owner_institution_id"].map(owners["phone"]),
            email=instruments["owner_institution_id"].map(owners["email"]),
            institution_id=instruments["owner_institution_id"],
            institution_name=instruments["owner_name"],
            availability="available",
            remote=False,
            industries="",
            details=[
                json.dumps(
                    {
                        "model": r["model"],
                        "measures": [x for x in str(r["measures"]).split("|") if x],
                        "price": r["price"],
                        "price_unit": r["price_unit"],
                        "booking_channel": r["booking_channel"],
                        "operated_service": bool(r["operated_service"]),
                        "owner": r["owner_name"],
                    },
                    ensure_ascii=False,
                )
                for r in instruments.to_dict("records")
            ],
        )
        frames.append(eq)
    out = pd.concat([f.reindex(columns=RESOURCE_COLUMNS) for f in frames], ignore_index=True)
    out["price"] = pd.to_numeric(out["price"], errors="coerce")
    out["turnaround_days"] = pd.to_numeric(out["turnaround_days"], errors="coerce")
    for col in (
        "parent_id",
        "accreditations",
        "discount_note",
        "email",
        "industries",
        "price_unit",
        "district",
        "address",
        "phone",
    ):
        out[col] = out[col].fillna("").astype(str)
    out["small_business_discount"] = out["small_business_discount"].fillna(False).astype(bool)
    out["remote"] = out["remote"].fillna(False).astype(bool)
    return out


def catalog_tables(catalog: Catalog, taxonomy: Taxonomy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lines, resources): institutions' capability lines, experts' topics and shared instruments
    as lines of one table, and the resources they belong to — what an index is built from."""
    lines = pd.concat(
        [
            institution_lines(catalog.lines),
            expert_lines(catalog.experts, taxonomy),
            instrument_lines(catalog.instruments),
        ],
        ignore_index=True,
    )
    return lines, resources_table(catalog.institutions, catalog.experts, catalog.instruments)
