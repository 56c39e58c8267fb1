"""Institutions (检验检测、计量、认证、标准 … 机构) and their capability lines.

The one required kind: every catalog has an institutions table and a capabilities table (what
each institution can do: a product × test item × method standard, a measuring device × range ×
accuracy, a service with its basis). Other kinds' rows may be owned by an institution.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from qis_match.catalog.cells import ROW, duplicate, parse_bool, shape_issue
from qis_match.catalog.kinds.base import LINE_COLUMNS, ResourceKind, TableContext
from qis_match.catalog.kinds.cards import (
    CHANNEL,
    DISCOUNT,
    SERVICE_AREA,
    channels_of,
    chips,
    compact,
    contact_rows,
    discount_row,
    full_address,
    online,
)
from qis_match.catalog.schema import CHANNELS, LIST_SEP, SERVICE_AREAS, CatalogIssue
from qis_match.errors import RegionError
from qis_match.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from qis_match.catalog.loader import Catalog

INSTITUTION_COLUMNS: dict[str, bool] = {
    # column: required
    "institution_id": True,
    "name": True,
    "type": True,
    "adcode": True,
    "parent_id": False,
    "province": False,
    "city": False,
    "district": False,
    "address": False,
    "longitude": False,
    "latitude": False,
    "service_area": False,  # local | province | national
    "accreditations": False,  # "|"-separated: CMA|CNAS|计量授权 …
    "channels": False,  # "|"-separated subset of online|onsite
    "small_business_discount": False,  # 小微优惠: true/false
    "discount_note": False,
    "turnaround_days": False,
    "phone": False,
    "email": False,
    "description": False,
    "demo": False,
}

CAPABILITY_COLUMNS: dict[str, bool] = {
    "line_id": True,
    "institution_id": True,
    "sub_service": True,
    "object": True,  # product / sample / measuring device / service
    "category": False,  # derived from sub_service; checked when given
    "item": False,  # test item / parameter / what is done
    "standard": False,  # method standard, regulation or basis
    "standard_title": False,
    "measuring_range": False,
    "accuracy": False,
    "description": False,
}


class InstitutionKind(ResourceKind):
    name = "institution"
    label = "机构"
    lines_title = "能力范围"
    table = "institutions"
    line_table = "capabilities"
    id_column = "institution_id"
    columns = INSTITUTION_COLUMNS
    required = True
    across_categories = False  # an institution need is served in its own category only

    def check_row(
        self, r: dict, file: str, first: dict[str, int], ctx: TableContext, table=None
    ) -> tuple[dict, list[CatalogIssue]]:
        return _institution_row(r, file, first, ctx)

    def validate_lines(
        self,
        df: pd.DataFrame,
        file: str,
        taxonomy: Taxonomy,
        good_institutions: set[str],
        known_bad: set[str],
    ) -> tuple[pd.DataFrame, list[CatalogIssue]]:
        """The capabilities table: each line names an accepted institution and a sub-service."""
        issues: list[CatalogIssue] = []
        rows = []
        first: dict[str, int] = {}
        cols = list(CAPABILITY_COLUMNS)
        for r in df.to_dict("records"):
            rowno = int(r[ROW])
            if shape := shape_issue(r, file):
                issues.append(shape)
                continue
            bad: list[CatalogIssue] = []
            rec = {c: str(r.get(c, "") or "") for c in cols}
            for col, required in CAPABILITY_COLUMNS.items():
                if required and not rec[col]:
                    bad.append(CatalogIssue(file, rowno, col, "required value is empty"))
            if dup := duplicate(first, rec["line_id"], file, rowno, "line_id"):
                bad.append(dup)
            inst = rec["institution_id"]
            if inst and inst not in good_institutions:
                why = (
                    "was rejected (see its errors)"
                    if inst in known_bad
                    else "is not in the institutions table"
                )
                bad.append(
                    CatalogIssue(file, rowno, "institution_id", f"institution {inst!r} {why}")
                )
            bad += _sub_service_issues(rec, taxonomy, file, rowno)
            if bad:
                issues.extend(bad)
                continue
            rows.append(rec)
        return pd.DataFrame(rows, columns=cols), issues

    def lines(self, catalog: Catalog, taxonomy: Taxonomy) -> pd.DataFrame:
        out = catalog.lines.rename(columns={"institution_id": "resource_id"}).assign(
            resource_type=self.name
        )
        return out[LINE_COLUMNS]

    def resources(self, catalog: Catalog) -> pd.DataFrame:
        inst = catalog.institutions
        return inst.assign(
            resource_id=inst["institution_id"],
            resource_type=self.name,
            institution_name=inst["name"],
            availability="available",
            remote=inst["channels"].str.contains("online"),
            industries="",
            price=None,
            price_unit="",
            details="{}",
        )

    def card(self, item: dict, context: str) -> dict:
        if context == "slip":
            return {"name_note": "", "slip_rows": _slip_rows(item), "checklist_extra": []}
        badges = [DISCOUNT] if item.get("small_business_discount") else []
        badges += [{"text": "线上", "tone": "online"}] if online(item) else []
        if context == "detail":
            type_badge = {"text": item.get("type") or "机构", "tone": "type"}
            return {
                "subtitle": item.get("type") or "",
                "badges": [type_badge, *badges],
                "rows": _rows(item),
            }
        subtitle = item.get("institution_type") or ""
        if context == "search":
            sub = load_taxonomy().sub_services.get(item.get("sub_service") or "")
            subtitle = " · ".join(x for x in (subtitle, sub.name if sub else "") if x)
        place = {"label": "地址", "value": full_address(item)}
        return {"subtitle": subtitle, "facts": [], "place": place, "badges": badges}

    def describe(self) -> dict:
        return {**super().describe(), "line_table": self.line_table}


def _rows(r: dict) -> list[dict]:
    """The institution's page: contacts, service area, accreditations, channels, terms."""
    days = r.get("turnaround_days")
    return compact(
        [
            {"label": "地址", "key": "address", "value": full_address(r)},
            {"label": "电话", "key": "phone", "value": r.get("phone") or ""},
            {"label": "邮箱", "key": "email", "value": r.get("email") or ""},
            {
                "label": "服务范围",
                "value": SERVICE_AREA.get(r.get("service_area"), r.get("service_area") or ""),
            },
            {"label": "资质", "chips": chips(r.get("accreditations"))},
            {
                "label": "办理方式",
                "value": "、".join(CHANNEL.get(c, c) for c in channels_of(r.get("channels"))),
            },
            {
                "label": "小微优惠",
                "value": (r.get("discount_note") or "提供")
                if r.get("small_business_discount")
                else "",
            },
            {"label": "办理时限", "value": f"约 {int(days)} 天" if days else ""},
        ]
    )


def _slip_rows(s: dict) -> list[dict]:
    days = s.get("turnaround_days")
    return [
        {"label": "地址", "value": full_address(s)},
        *contact_rows(s),
        {
            "label": "办理时限",
            "value": f"约 {int(days)} 天（自机构受理之日起）" if days else "以承办机构告知为准",
        },
        discount_row(s),
    ]


def _institution_row(
    r: dict, file: str, first: dict[str, int], ctx: TableContext
) -> tuple[dict, list[CatalogIssue]]:
    """One institution row, normalised (region filled from its adcode), and its issues."""
    rowno = int(r[ROW])
    bad: list[CatalogIssue] = []

    def err(col: str, msg: str) -> None:
        bad.append(CatalogIssue(file, rowno, col, msg))

    rec = {c: str(r.get(c, "") or "") for c in INSTITUTION_COLUMNS}
    for col, required in INSTITUTION_COLUMNS.items():
        if required and not rec[col]:
            err(col, "required value is empty")
    if dup := duplicate(first, rec["institution_id"], file, rowno, "institution_id"):
        bad.append(dup)
    place = None
    if rec["adcode"]:
        try:
            place = ctx.geo.get(rec["adcode"])
        except RegionError:
            err("adcode", f"unknown region code {rec['adcode']!r}")
    if place is not None:
        for col, want in (("province", place.province), ("city", place.city or "")):
            if rec[col] and want and rec[col] != want:
                err(col, f"{rec[col]!r} does not match adcode {place.adcode} ({want})")
        rec["province"] = place.province
        rec["city"] = place.city or ""
        rec["district"] = rec["district"] or (place.county or "")
    _coordinates(rec, place, err)
    rec["service_area"] = rec["service_area"] or "local"
    if rec["service_area"] not in SERVICE_AREAS:
        err("service_area", f"must be one of {', '.join(SERVICE_AREAS)}")
    channels = [c for c in rec["channels"].split(LIST_SEP) if c] or ["onsite"]
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        err("channels", f"unknown channel(s) {unknown}; use {LIST_SEP.join(CHANNELS)}")
    rec["channels"] = LIST_SEP.join(channels)
    for col in ("small_business_discount", "demo"):
        b = parse_bool(rec[col])
        if b is None:
            err(col, f"not a yes/no value: {rec[col]!r}")
        rec[col] = bool(b)
    if rec["turnaround_days"]:
        try:
            days = int(float(rec["turnaround_days"]))
            if days <= 0:
                raise ValueError
            rec["turnaround_days"] = days
        except ValueError:
            err("turnaround_days", f"not a positive number of days: {rec['turnaround_days']!r}")
    else:
        rec["turnaround_days"] = None
    return rec, bad


def _coordinates(rec: dict, place, err) -> None:
    """Longitude and latitude: as given (checked to lie in China), else the region's."""
    for col in ("longitude", "latitude"):
        if rec[col]:
            try:
                val = float(rec[col])
                if not math.isfinite(val):
                    raise ValueError
                rec[col] = val
            except ValueError:
                err(col, f"not a number: {rec[col]!r}")
        elif place is not None:
            rec[col] = place.lon if col == "longitude" else place.lat
    if isinstance(rec["longitude"], float) and not 73 <= rec["longitude"] <= 136:
        err("longitude", f"{rec['longitude']} is outside China (73–136)")
    if isinstance(rec["latitude"], float) and not 3 <= rec["latitude"] <= 54:
        err("latitude", f"{rec['latitude']} is outside China (3–54)")


def _sub_service_issues(rec: dict, taxonomy: Taxonomy, file: str, rowno: int) -> list[CatalogIssue]:
    """A line's sub-service must be known; its category, when given, must be the sub-service's
    (and is filled in from it)."""
    if not rec["sub_service"]:
        return []
    if rec["sub_service"] not in taxonomy.sub_services:
        return [
            CatalogIssue(
                file, rowno, "sub_service", f"unknown sub-service code {rec['sub_service']!r}"
            )
        ]
    cat = taxonomy.category_of(rec["sub_service"])
    if rec["category"] and rec["category"] != cat:
        return [
            CatalogIssue(
                file, rowno, "category", f"{rec['category']!r} does not match sub-service ({cat})"
            )
        ]
    rec["category"] = cat
    return []
