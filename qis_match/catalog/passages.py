"""How a line reads to the retrievers, and the index's two tables (lines, resources).

One text per line, built from the line's own fields only (never the institution's name or
city), so that the same capability held by forty labs is one text, embedded once. Each kind
makes its own lines and resources (:mod:`qis_match.catalog.kinds`); this module joins them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from qis_match.catalog.kinds import LINE_COLUMNS, RESOURCE_COLUMNS, kinds
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


def resources_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Every kind's resources in one table (``RESOURCE_COLUMNS``), so that ranking treats them
    alike; a column a kind does not fill is blank (text), NaN (numbers) or False (flags)."""
    out = pd.concat(
        [f.reindex(columns=RESOURCE_COLUMNS) for f in frames if len(f)] or [EMPTY_RESOURCES],
        ignore_index=True,
    )
    out["price"] = pd.to_numeric(out["price"], errors="coerce")
    out["turnaround_days"] = pd.to_numeric(out["turnaround_days"], errors="coerce")
    for col in TEXT_COLUMNS:
        out[col] = out[col].fillna("").astype(str)
    out["small_business_discount"] = out["small_business_discount"].fillna(False).astype(bool)
    out["remote"] = out["remote"].fillna(False).astype(bool)
    return out


EMPTY_RESOURCES = pd.DataFrame(columns=RESOURCE_COLUMNS)
TEXT_COLUMNS = (
    "parent_id",
    "accreditations",
    "discount_note",
    "email",
    "industries",
    "price_unit",
    "district",
    "address",
    "phone",
    "type",
    "service_area",
    "channels",
)


def catalog_tables(catalog: Catalog, taxonomy: Taxonomy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lines, resources): every kind's lines as one table, and the resources they belong to —
    what an index is built from. Kinds come in registry order (institutions first)."""
    registered = kinds()
    lines = pd.concat([k.lines(catalog, taxonomy) for k in registered], ignore_index=True).reindex(
        columns=LINE_COLUMNS
    )
    return lines, resources_table([k.resources(catalog) for k in registered])
