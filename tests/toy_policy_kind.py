"""A toy resource kind in one file: policy items (政策: 创新券、检测补贴 …) with a deadline and the
regions they apply to. It proves the plug-in contract (issue 18): importing this module is the
one registration; the loader, build, matcher, API and search page need no change.

Table ``policies.csv``: policy_id, name, issuer, sub_services (|), eligible_regions (| adcodes:
a province 420000 covers all of it), deadline (YYYY-MM-DD), support, description, demo.
The rows the tests write are fictional and say so.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qis_match.catalog.cells import ROW, parse_bool, split_list, start_row
from qis_match.catalog.kinds import RankContext, ResourceKind, TableContext, register
from qis_match.catalog.kinds.base import line_frame
from qis_match.catalog.schema import CatalogIssue
from qis_match.errors import RegionError
from qis_match.taxonomy import Taxonomy

if TYPE_CHECKING:
    from qis_match.catalog.loader import Catalog

COLUMNS = {
    "policy_id": True,
    "name": True,
    "issuer": True,
    "sub_services": True,
    "eligible_regions": True,
    "deadline": True,
    "support": False,
    "description": False,
    "demo": False,
}
WORDS = re.compile("补贴|资助|奖补|创新券|扶持政策|政策申报")


def _prefix(adcode: str) -> str:
    """420000 → 42, 420100 → 4201: a region covers every code that starts with its prefix."""
    code = adcode
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


class PolicyKind(ResourceKind):
    name = "policy"
    label = "政策"
    table = "policies"
    id_column = "policy_id"
    columns = COLUMNS
    lines_title = "支持事项"

    derived_columns = ("adcode", "province", "city", "longitude", "latitude", "region_names")

    def check_row(self, r, file, first, ctx: TableContext, table=None):
        rowno = int(r[ROW])
        rec, bad = start_row(r, COLUMNS, file, rowno, "policy_id", first, ctx.elsewhere)
        unknown = [s for s in split_list(rec["sub_services"]) if s not in ctx.taxonomy.sub_services]
        if unknown:
            bad.append(
                CatalogIssue(file, rowno, "sub_services", f"unknown sub-service code(s) {unknown}")
            )
        places = []
        for code in split_list(rec["eligible_regions"]):
            try:
                places.append(ctx.geo.get(code))
            except RegionError:
                bad.append(
                    CatalogIssue(file, rowno, "eligible_regions", f"unknown region code {code!r}")
                )
        try:
            date.fromisoformat(rec["deadline"])
        except ValueError:
            bad.append(
                CatalogIssue(
                    file, rowno, "deadline", f"not a date (YYYY-MM-DD): {rec['deadline']!r}"
                )
            )
        demo = parse_bool(rec["demo"])
        if demo is None:
            bad.append(CatalogIssue(file, rowno, "demo", f"not a yes/no value: {rec['demo']!r}"))
        if not bad:
            p = places[0]
            rec.update(
                demo=bool(demo),
                adcode=p.adcode,
                province=p.province,
                city=p.city or "",
                longitude=p.lon,
                latitude=p.lat,
                region_names="、".join(x.label() for x in places),
            )
        return rec, bad

    def lines(self, catalog: Catalog, taxonomy: Taxonomy) -> pd.DataFrame:
        rows = []
        for p in catalog.table(self.name).to_dict("records"):
            for k, sub in enumerate(split_list(p["sub_services"]), start=1):
                rows.append(
                    {
                        "line_id": f"{p['policy_id']}-{k:02d}",
                        "resource_id": p["policy_id"],
                        "resource_type": self.name,
                        "category": taxonomy.category_of(sub),
                        "sub_service": sub,
                        "object": f"{p['name']}（政策补贴）",
                        "item": p.get("support") or "",
                        "description": p.get("description") or "",
                    }
                )
        return line_frame(rows)

    def resources(self, catalog: Catalog) -> pd.DataFrame:
        t = catalog.table(self.name)
        return t.assign(
            resource_id=t["policy_id"],
            resource_type=self.name,
            type="政策",
            address=t["issuer"],
            service_area="province",
            channels="online",
            institution_id=None,
            institution_name=t["issuer"],
            details=[
                json.dumps(
                    {
                        "issuer": p["issuer"],
                        "deadline": p["deadline"],
                        "eligible_regions": split_list(p["eligible_regions"]),
                        "region_names": p["region_names"],
                        "support": p["support"],
                    },
                    ensure_ascii=False,
                )
                for p in t.to_dict("records")
            ],
        )

    def calls_for(self, upper_text: str) -> bool:
        return bool(WORDS.search(upper_text))

    def prepare(self, rows: pd.DataFrame) -> dict:
        details = [json.loads(d) for d in rows["details"]]
        return {
            "deadline": np.array(
                [date.fromisoformat(d["deadline"]) for d in details], dtype=object
            ),
            "prefixes": [[_prefix(c) for c in d["eligible_regions"]] for d in details],
        }

    def eligible(self, state: dict, idx: np.ndarray, ctx: RankContext) -> np.ndarray:
        """Open on the day of the request, and for an enterprise in one of its regions."""
        today = ctx.today or date.today()
        ok = np.array([state["deadline"][i] >= today for i in idx], dtype=bool)
        if ctx.region is not None:
            code = ctx.region.adcode
            ok &= np.array(
                [any(code.startswith(p) for p in state["prefixes"][i]) for i in idx], dtype=bool
            )
        return ok

    def card(self, item: dict, context: str) -> dict:
        d = item.get("details") or {}
        facts = [
            {"key": "deadline", "label": "申报截止", "value": d.get("deadline", "")},
            {"key": "support", "label": "支持", "value": d.get("support", "")},
        ]
        if context == "slip":
            return {
                "name_note": "",
                "slip_rows": facts,
                "checklist_extra": ["申报材料（按政策申报指南准备）"],
            }
        badges = [{"text": "政策", "tone": "policy"}]
        if context == "detail":
            return {"subtitle": d.get("issuer", ""), "badges": badges, "rows": facts}
        place = {"label": "适用地区", "value": d.get("region_names", "")}
        return {"subtitle": d.get("issuer", ""), "facts": facts, "place": place, "badges": badges}


register(PolicyKind())
