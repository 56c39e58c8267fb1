"""Shared instruments (仪器设备开放共享): an institution's instrument that an enterprise books by
the hour or the sample, operating it itself or having the owner run the test (代检代测).

An instrument belongs to an institution (removed with it; its place, accreditations and
contacts are the owner's unless given). Nearness counts double, since samples or people must
travel, and a lower price for the same unit lifts a little.
"""

from __future__ import annotations

import json
import math
import re
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qis_match.catalog.cells import (
    ROW,
    owner_issue,
    parse_bool,
    region_of,
    split_list,
    start_row,
)
from qis_match.catalog.kinds.base import (
    RankContext,
    ResourceKind,
    TableContext,
    alternation,
    line_frame,
    resource_words,
)
from qis_match.catalog.kinds.cards import (
    DISCOUNT,
    chips,
    compact,
    contact_rows,
    discount_row,
    full_address,
    list_of,
    model_text,
    price_text,
)
from qis_match.catalog.schema import PRICE_UNITS, CatalogIssue
from qis_match.taxonomy import Taxonomy

if TYPE_CHECKING:
    from qis_match.catalog.loader import Catalog

INSTRUMENT_COLUMNS: dict[str, bool] = {
    "instrument_id": True,
    "name": True,  # instrument type
    "owner_institution_id": True,
    "sub_service": True,
    "model": False,
    "measures": False,  # "|"-separated
    "adcode": False,  # default: the owner's
    "address": False,
    "price_unit": False,  # hour | sample
    "price": False,  # CNY per unit
    "booking_channel": False,
    "operated_service": False,  # the owner runs the test for you (代检代测)
    "description": False,
    "demo": False,
}
DERIVED = ("province", "city", "district", "longitude", "latitude", "category", "owner_name")


class InstrumentKind(ResourceKind):
    name = "instrument"
    label = "共享仪器"
    role = "共享仪器"
    detail_link = "仪器详情"
    lines_title = "共享服务"
    line_columns = (
        ("object", "项目"),
        ("sub_service", "子类"),
        ("standard", "依据标准"),
        ("model", "型号"),
        ("description", "说明"),
    )
    checklist = (
        "样品及数量（注明样品状态、保存条件，是否需要留样）",
        "测试条件与方法（检测项目、依据的标准或方法、参数要求）",
        "预约时段（按仪器的预约方式提前预约，注明可选时段）",
    )
    table = "instruments"
    id_column = "instrument_id"
    columns = INSTRUMENT_COLUMNS
    derived_columns = DERIVED
    locality_weight = 2.0

    def __init__(self, price_fit: float = 0.1) -> None:
        self.price_fit = price_fit  # the cheapest of one price unit gains this share

    def table_state(self, ctx: TableContext) -> pd.DataFrame:
        return ctx.institutions.set_index("institution_id")  # the owners

    def check_row(
        self, r: dict, file: str, first: dict[str, int], ctx: TableContext, owners: pd.DataFrame
    ) -> tuple[dict, list[CatalogIssue]]:
        rowno = int(r[ROW])
        rec, bad = start_row(
            r, INSTRUMENT_COLUMNS, file, rowno, "instrument_id", first, ctx.elsewhere
        )
        owner = rec["owner_institution_id"]
        if issue := owner_issue(
            owner, owners.index, ctx.known_bad, file, rowno, "owner_institution_id"
        ):
            bad.append(issue)
        if rec["sub_service"] and rec["sub_service"] not in ctx.taxonomy.sub_services:
            bad.append(
                CatalogIssue(
                    file, rowno, "sub_service", f"unknown sub-service code {rec['sub_service']!r}"
                )
            )
        if rec["price_unit"] and rec["price_unit"] not in PRICE_UNITS:
            bad.append(
                CatalogIssue(file, rowno, "price_unit", f"must be one of {', '.join(PRICE_UNITS)}")
            )
        price = None
        if rec["price"]:
            try:
                price = float(rec["price"])
                if not math.isfinite(price) or price < 0:
                    raise ValueError
            except ValueError:
                bad.append(CatalogIssue(file, rowno, "price", f"not a price: {rec['price']!r}"))
        operated, demo = parse_bool(rec["operated_service"]), parse_bool(rec["demo"])
        for col, val in (("operated_service", operated), ("demo", demo)):
            if val is None:
                bad.append(CatalogIssue(file, rowno, col, f"not a yes/no value: {rec[col]!r}"))
        place = region_of(rec["adcode"], ctx.geo, file, rowno, bad)
        if bad:
            return rec, bad
        o = owners.loc[owner]
        place = place or ctx.geo.get(o["adcode"])
        rec.update(
            adcode=place.adcode,
            province=place.province,
            city=place.city or "",
            district=place.county or "",
            longitude=float(o["longitude"]) if not rec["adcode"] else place.lon,
            latitude=float(o["latitude"]) if not rec["adcode"] else place.lat,
            address=rec["address"] or o["address"],
            price=price,
            operated_service=bool(operated),
            demo=bool(demo),
            category=ctx.taxonomy.category_of(rec["sub_service"]),
            owner_name=o["name"],
        )
        return rec, bad

    def owned_by(self, table: pd.DataFrame, institution_ids: set[str]) -> set[str]:
        owned = table["owner_institution_id"].isin(institution_ids)
        return set(table.loc[owned, "instrument_id"])

    def lines(self, catalog: Catalog, taxonomy: Taxonomy) -> pd.DataFrame:
        """One line per instrument: ``扫描电子显微镜（仪器共享）：断口形貌观察、… ZEISS Sigma 300``."""
        rows = []
        for r in catalog.table(self.name).to_dict("records"):
            measures = "、".join(split_list(r.get("measures", "")))
            mode = "可代检代测" if r.get("operated_service") else "预约机时自行操作"
            rows.append(
                {
                    "line_id": f"{r['instrument_id']}-01",
                    "resource_id": r["instrument_id"],
                    "resource_type": self.name,
                    "category": r["category"],
                    "sub_service": r["sub_service"],
                    "object": f"{r['name']}（仪器共享）",
                    "item": measures,
                    "accuracy": str(r.get("model", "") or ""),
                    "description": mode,
                }
            )
        return line_frame(rows)

    def resources(self, catalog: Catalog) -> pd.DataFrame:
        eq = catalog.table(self.name)
        owners = catalog.institutions.set_index("institution_id")
        owner = eq["owner_institution_id"]
        return eq.assign(
            resource_id=eq["instrument_id"],
            resource_type=self.name,
            type="共享仪器",
            service_area="local",
            accreditations=owner.map(owners["accreditations"]),
            channels="onsite",
            small_business_discount=owner.map(owners["small_business_discount"]),
            phone=owner.map(owners["phone"]),
            email=owner.map(owners["email"]),
            institution_id=owner,
            institution_name=eq["owner_name"],
            availability="available",
            remote=False,
            details=[
                json.dumps(
                    {
                        "model": r["model"],
                        "measures": split_list(r["measures"]),
                        "price": r["price"],
                        "price_unit": r["price_unit"],
                        "booking_channel": r["booking_channel"],
                        "operated_service": bool(r["operated_service"]),
                        "owner": r["owner_name"],
                    },
                    ensure_ascii=False,
                )
                for r in eq.to_dict("records")
            ],
        )

    def card(self, item: dict, context: str) -> dict:
        d = item.get("details") or {}
        model = model_text(d.get("model"))
        if context == "slip":
            return {
                "name_note": f"（型号：{model}）" if model else "",
                "slip_rows": _slip_rows(item, d),
                "checklist_extra": [TRAINING[bool(d.get("operated_service"))]],
            }
        operated = [{"text": "可代检代测", "tone": "operated"}] if d.get("operated_service") else []
        discount = [DISCOUNT] if item.get("small_business_discount") else []
        if context == "detail":
            subtitle = f"型号：{model}" if model else ""
            return {"subtitle": subtitle, "badges": operated + discount, "rows": _rows(item, d)}
        owner = item.get("institution_name") or d.get("owner") or ""
        owner_fact = {"key": "owner", "label": "所属机构", "value": owner}
        if item.get("institution_id"):
            owner_fact["resource_id"] = item["institution_id"]
        facts = compact(
            [
                owner_fact,
                {"key": "price", "label": "收费", "value": price_text(d)},
                {"key": "booking", "label": "预约", "value": d.get("booking_channel") or ""},
                {"label": "可测", "value": "、".join(list_of(d.get("measures")))},
            ]
        )
        return {
            "subtitle": f"型号：{model}" if model else "共享仪器",
            "facts": facts,
            "place": {"label": "地址", "value": full_address(item)},
            "badges": discount + operated,
        }

    @cached_property
    def _call(self) -> re.Pattern[str] | None:
        words = resource_words()
        if not words.get("instrument_verbs") or not words.get("instrument_nouns"):
            return None
        verbs, nouns = (
            alternation(words["instrument_verbs"]),
            alternation(words["instrument_nouns"]),
        )
        return re.compile(f"(?:{verbs}).{{0,12}}(?:{nouns})|(?:{nouns}).{{0,8}}(?:{verbs})")

    def calls_for(self, upper_text: str) -> bool:
        """A renting verb near an instrument word (租用…仪器, 电镜…机时)."""
        return self._call is not None and bool(self._call.search(upper_text))

    def prepare(self, rows: pd.DataFrame) -> dict:
        return {
            "price": rows["price"].to_numpy(dtype=np.float64),
            "price_unit": rows["price_unit"].to_numpy(),
        }

    def fit(self, state: dict, idx: np.ndarray, ctx: RankContext) -> np.ndarray:
        out = np.ones(len(idx))
        units = state["price_unit"][idx]
        for unit in set(units):
            same = np.flatnonzero(units == unit)
            prices = state["price"][idx[same]]
            if len(same) > 1 and np.isfinite(prices).all() and prices.max() > prices.min():
                cheap = (prices.max() - prices) / (prices.max() - prices.min())
                out[same] *= 1 + self.price_fit * cheap
        return out


TRAINING = {
    True: "是否需操作培训（自行上机须先经所属机构培训；也可委托机构代检代测）",
    False: "是否需操作培训（该仪器需自行上机操作，首次使用须经所属机构培训）",
}


def _rows(r: dict, d: dict) -> list[dict]:
    """The instrument's page."""
    owner = r.get("institution_name") or d.get("owner") or ""
    owner_row = {"label": "所属机构", "key": "owner", "value": owner}
    if r.get("institution_id"):
        owner_row.update(value=owner or r["institution_id"], resource_id=r["institution_id"])
    operated = "可委托所属机构代检代测" if d.get("operated_service") else "不提供，需自行上机操作"
    return compact(
        [
            {"label": "型号", "key": "model", "value": model_text(d.get("model"))},
            {"label": "可测项目", "key": "measures", "chips": chips(d.get("measures"))},
            {"label": "收费标准", "key": "price", "value": price_text(d) or "以所属机构公布为准"},
            {"label": "预约方式", "key": "booking", "value": d.get("booking_channel") or ""},
            {"label": "代检代测", "key": "operated", "value": operated},
            owner_row,
            {"label": "存放地址", "key": "address", "value": full_address(r)},
            {"label": "电话", "key": "phone", "value": r.get("phone") or ""},
            {"label": "邮箱", "key": "email", "value": r.get("email") or ""},
            {"label": "机构资质", "chips": chips(r.get("accreditations"))},
            {
                "label": "小微优惠",
                "value": (r.get("discount_note") or "提供")
                if r.get("small_business_discount")
                else "",
            },
        ]
    )


def _slip_rows(s: dict, d: dict) -> list[dict]:
    return [
        {"label": "所属机构", "value": s.get("institution_name") or d.get("owner") or ""},
        {"label": "地址", "value": full_address(s)},
        *contact_rows(s),
        {"label": "收费标准", "value": price_text(d) or "以所属机构公布为准"},
        {"label": "预约方式", "value": d.get("booking_channel") or ""},
        {
            "label": "代检代测",
            "value": "可委托机构代检代测"
            if d.get("operated_service")
            else "不提供，需自行上机操作",
        },
        discount_row(s),
    ]
