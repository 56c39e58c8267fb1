"""Cell-level validation shared by every catalog table: ids, required values, yes/no, regions.

Each helper reports a problem as a :class:`CatalogIssue` naming the file, the spreadsheet row
and the column, so that a resource kind's validation (``qis_match.catalog.kinds``) reads as a
list of its own rules and the maintainer of the table is told exactly which cell to fix.
"""

from __future__ import annotations

import math
from collections.abc import Container

from qis_match.catalog.schema import LIST_SEP, CatalogIssue
from qis_match.errors import RegionError
from qis_match.geo import Gazetteer, Place

ROW = "__row__"  # the spreadsheet row of each record (the header is row 1)
SHAPE = "__shape__"  # why a record's cells cannot be trusted (wrong number of fields), or ""

_TRUE = {"true", "1", "yes", "y", "是", "有", "t"}
_FALSE = {"false", "0", "no", "n", "否", "无", "f", ""}


def parse_bool(v: str) -> bool | None:
    """True, False, or None when the cell is not a yes/no value (empty is no)."""
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def split_list(value: str) -> list[str]:
    """A ``|``-separated cell as its non-empty items."""
    return [x.strip() for x in str(value).split(LIST_SEP) if x.strip()]


def shape_issue(r: dict, name: str) -> CatalogIssue | None:
    """The issue of a record with the wrong number of fields (none of its cells is trusted)."""
    shape = r.get(SHAPE)
    return CatalogIssue(name, int(r[ROW]), shape[0], shape[1]) if shape else None


def duplicate(
    first: dict[str, int], value: str, name: str, rowno: int, column: str
) -> CatalogIssue | None:
    """A repeated id, named with the row of its first occurrence (accepted or not: an id that
    appears twice in a file is ambiguous either way)."""
    if not value:
        return None
    if value in first:
        return CatalogIssue(
            name, rowno, column, f"duplicate id {value!r} (first on row {first[value]})"
        )
    first[value] = rowno
    return None


def start_row(
    r: dict,
    columns: dict[str, bool],
    name: str,
    rowno: int,
    id_col: str,
    first: dict[str, int],
    elsewhere: dict[str, str] | None = None,
) -> tuple[dict, list[CatalogIssue]]:
    """A row's cells as text, with its missing required values and a duplicate id reported:
    one repeated in this file, or one another table uses (``elsewhere``: id → where; every
    kind's table shares one id space, the resource id)."""
    rec = {c: str(r.get(c, "") or "") for c in columns}
    bad = [
        CatalogIssue(name, rowno, c, "required value is empty")
        for c, req in columns.items()
        if req and not rec[c]
    ]
    if dup := duplicate(first, rec[id_col], name, rowno, id_col):
        bad.append(dup)
    elif elsewhere and rec[id_col] in elsewhere:
        bad.append(
            CatalogIssue(
                name,
                rowno,
                id_col,
                f"duplicate id {rec[id_col]!r} (used in {elsewhere[rec[id_col]]})",
            )
        )
    return rec, bad


def region_of(
    adcode: str, geo: Gazetteer, name: str, rowno: int, bad: list[CatalogIssue]
) -> Place | None:
    """The place of an adcode cell, or None (reported in ``bad`` when the code is unknown)."""
    if not adcode:
        return None
    try:
        return geo.get(adcode)
    except RegionError:
        bad.append(CatalogIssue(name, rowno, "adcode", f"unknown region code {adcode!r}"))
        return None


def number(value: str, name: str, rowno: int, column: str, bad: list[CatalogIssue]) -> float | None:
    """A finite non-negative number, or None (empty, or reported in ``bad``)."""
    if not value:
        return None
    try:
        x = float(value)
        if not math.isfinite(x) or x < 0:
            raise ValueError
    except ValueError:
        bad.append(CatalogIssue(name, rowno, column, f"not a number: {value!r}"))
        return None
    return x


def owner_issue(
    owner: str,
    owners: Container[str],
    known_bad: Container[str],
    name: str,
    rowno: int,
    column: str,
) -> CatalogIssue | None:
    """An institution reference that names no accepted institution, with why."""
    if not owner or owner in owners:
        return None
    why = (
        "was rejected (see its errors)"
        if owner in known_bad
        else "is not in the institutions table"
    )
    return CatalogIssue(name, rowno, column, f"institution {owner!r} {why}")
