"""Load a catalog from CSV or XLSX and validate it cell by cell.

A bad row is reported by file, row and column and left out; every good row is kept, so one typo
in a 50,000-line upload does not lose the other 49,999. Rows whose institution was rejected are
rejected too, with a message that says why.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qis_match.catalog.schema import (
    AVAILABILITY,
    CAPABILITY_COLUMNS,
    CHANNELS,
    EXPERT_COLUMNS,
    INSTITUTION_COLUMNS,
    INSTRUMENT_COLUMNS,
    LIST_SEP,
    MODES,
    PRICE_UNITS,
    SERVICE_AREAS,
    CatalogIssue,
)
from qis_match.errors import CatalogError, RegionError
from qis_match.geo import Gazetteer, gazetteer
from qis_match.taxonomy import CATEGORY_CODES, Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

_TRUE = {"true", "1", "yes", "y", "是", "有", "t"}
_FALSE = {"false", "0", "no", "n", "否", "无", "f", ""}


@dataclass
class Catalog:
    """Validated institutions and capability lines, plus what was rejected and why."""

    institutions: pd.DataFrame
    lines: pd.DataFrame
    issues: list[CatalogIssue] = field(default_factory=list)
    version: str = ""
    sources: list[str] = field(default_factory=list)
    experts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(EXPERT_COLUMNS))
    )
    instruments: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
    )

    @property
    def errors(self) -> list[CatalogIssue]:
        return [i for i in self.issues if i.severity == "error"]


ROW = "__row__"  # the spreadsheet row of each record (the header is row 1)
SHAPE = "__shape__"  # why a record's cells cannot be trusted (wrong number of fields), or ""


def _read_table(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """Read every cell as text; decoding problems become a CatalogError naming the file.

    A CSV is read with the csv module, record by record, so that every record's field count is
    checked against the header, the first data row included (pandas took a first row with one
    field too many as an index column and shifted every cell left). Such a record keeps its
    cells by position with the problem in ``SHAPE``; validation rejects it with file, row and
    column. Blank lines are skipped but counted, so row numbers are the spreadsheet's."""
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
            df.columns = [str(c).strip() for c in df.columns]
            df[ROW] = range(2, len(df) + 2)
            df[SHAPE] = ""
        else:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    text = raw.decode("gb18030")
                except UnicodeDecodeError as exc:
                    raise CatalogError(f"{path}: not UTF-8 or GB18030 text ({exc})") from None
            df = _read_csv_text(text, path)
    except CatalogError:
        raise
    except (ValueError, OSError, pd.errors.ParserError, zipfile.BadZipFile, KeyError) as exc:
        # KeyError: openpyxl on a zip without the parts of a workbook
        raise CatalogError(f"{path}: cannot read as a table: {exc}") from None
    return df.map(lambda v: v.strip() if isinstance(v, str) else v)


def _read_csv_text(text: str, path: Path) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)  # leading blank lines
        if header is None:
            raise CatalogError(f"{path.name}: empty file (no header row)")
        header = [c.strip() for c in header]
        twice = sorted({c for c in header if c and header.count(c) > 1})
        if twice:
            raise CatalogError(
                f"{path.name}: column(s) {', '.join(twice)} appear twice in the header"
            )
        n = len(header)
        records, rows, shapes = [], [], []
        rowno = reader.line_num
        for rec in reader:
            rowno += 1
            if not any(c.strip() for c in rec):
                continue  # a blank line: skipped, but it is a row of the spreadsheet
            shape = ""  # or (column, message): the row's cells are not where the header says
            if len(rec) > n:
                shape = (
                    header[-1],
                    f"{len(rec)} fields, the header has {n}: an unquoted comma? "
                    'put a value that contains a comma in double quotes ("…,…")',
                )
            elif len(rec) < n:
                shape = (
                    header[len(rec)],
                    f"{len(rec)} fields, the header has {n}: no value from here on",
                )
            records.append((rec + [""] * n)[:n])
            rows.append(rowno)
            shapes.append(shape)
    except csv.Error as exc:
        raise CatalogError(
            f"{path.name}: row {reader.line_num}: not a CSV record ({exc})"
        ) from None
    df = pd.DataFrame(records, columns=header, dtype=object)
    df[ROW] = rows
    df[SHAPE] = shapes
    return df


def _shape_issue(r: dict, name: str) -> CatalogIssue | None:
    """The issue of a record with the wrong number of fields (none of its cells is trusted)."""
    shape = r.get(SHAPE)
    return CatalogIssue(name, int(r[ROW]), shape[0], shape[1]) if shape else None


def _duplicate(
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


def _find(directory: Path, stem: str) -> Path | None:
    for ext in (".csv", ".xlsx"):
        p = directory / f"{stem}{ext}"
        if p.exists():
            return p
    return None


def _check_columns(df: pd.DataFrame, spec: dict[str, bool], name: str) -> None:
    missing = [c for c, req in spec.items() if req and c not in df.columns]
    if missing:
        raise CatalogError(f"{name}: missing required column(s): {', '.join(missing)}")


def _parse_bool(v: str) -> bool | None:
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def _validate_institutions(
    df: pd.DataFrame, name: str, geo: Gazetteer
) -> tuple[pd.DataFrame, list[CatalogIssue]]:
    issues: list[CatalogIssue] = []
    rows = []
    first: dict[str, int] = {}
    for r in df.to_dict("records"):
        rowno = int(r[ROW])
        if shape := _shape_issue(r, name):
            issues.append(shape)
            continue
        bad: list[CatalogIssue] = []

        def err(col: str, msg: str, _row: int = rowno, _bad: list = bad) -> None:
            _bad.append(CatalogIssue(name, _row, col, msg))

        rec = {c: str(r.get(c, "") or "") for c in INSTITUTION_COLUMNS}
        for col, required in INSTITUTION_COLUMNS.items():
            if required and not rec[col]:
                err(col, "required value is empty")
        if dup := _duplicate(first, rec["institution_id"], name, rowno, "institution_id"):
            bad.append(dup)
        place = None
        if rec["adcode"]:
            try:
                place = geo.get(rec["adcode"])
            except RegionError:
                err("adcode", f"unknown region code {rec['adcode']!r}")
        if place is not None:
            for col, want in (("province", place.province), ("city", place.city or "")):
                if rec[col] and want and rec[col] != want:
                    err(col, f"{rec[col]!r} does not match adcode {place.adcode} ({want})")
            rec["province"] = place.province
            rec["city"] = place.city or ""
            rec["district"] = rec["district"] or (place.county or "")
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
        rec["service_area"] = rec["service_area"] or "local"
        if rec["service_area"] not in SERVICE_AREAS:
            err("service_area", f"must be one of {', '.join(SERVICE_AREAS)}")
        channels = [c for c in rec["channels"].split(LIST_SEP) if c] or ["onsite"]
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            err("channels", f"unknown channel(s) {unknown}; use {LIST_SEP.join(CHANNELS)}")
        rec["channels"] = LIST_SEP.join(channels)
        for col in ("small_business_discount", "demo"):
            b = _parse_bool(rec[col])
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
        if bad:
            issues.extend(bad)
            continue
        rows.append(rec)
    out = pd.DataFrame(rows, columns=list(INSTITUTION_COLUMNS))
    return out, issues


def _validate_lines(
    df: pd.DataFrame,
    name: str,
    taxonomy: Taxonomy,
    good_institutions: set[str],
    known_bad: set[str],
) -> tuple[pd.DataFrame, list[CatalogIssue]]:
    issues: list[CatalogIssue] = []
    subs = taxonomy.sub_services
    rows = []
    first: dict[str, int] = {}
    cols = list(CAPABILITY_COLUMNS)
    for r in df.to_dict("records"):
        rowno = int(r[ROW])
        if shape := _shape_issue(r, name):
            issues.append(shape)
            continue
        bad: list[CatalogIssue] = []
        rec = {c: str(r.get(c, "") or "") for c in cols}
        for col, required in CAPABILITY_COLUMNS.items():
            if required and not rec[col]:
                bad.append(CatalogIssue(name, rowno, col, "required value is empty"))
        if dup := _duplicate(first, rec["line_id"], name, rowno, "line_id"):
            bad.append(dup)
        inst = rec["institution_id"]
        if inst and inst not in good_institutions:
            why = (
                "was rejected (see its errors)"
                if inst in known_bad
                else "is not in the institutions table"
            )
            bad.append(CatalogIssue(name, rowno, "institution_id", f"institution {inst!r} {why}"))
        if rec["sub_service"]:
            if rec["sub_service"] not in subs:
                bad.append(
                    CatalogIssue(
                        name,
                        rowno,
                        "sub_service",
                        f"unknown sub-service code {rec['sub_service']!r}",
                    )
                )
            else:
                cat = taxonomy.category_of(rec["sub_service"])
                if rec["category"] and rec["category"] != cat:
                    bad.append(
                        CatalogIssue(
                            name,
                            rowno,
                            "category",
                            f"{rec['category']!r} does not match sub-service ({cat})",
                        )
                    )
                rec["category"] = cat
        if bad:
            issues.extend(bad)
            continue
        rows.append(rec)
    return pd.DataFrame(rows, columns=cols), issues


def _split_list(value: str) -> list[str]:
    return [x.strip() for x in str(value).split(LIST_SEP) if x.strip()]


def _start_row(
    r: dict,
    columns: dict[str, bool],
    name: str,
    rowno: int,
    id_col: str,
    first: dict[str, int],
    elsewhere: dict[str, str] | None = None,
) -> tuple[dict, list[CatalogIssue]]:
    """A row's cells as text, with its missing required values and a duplicate id reported:
    one repeated in this file, or one another table uses (``elsewhere``: id → where; the
    institutions, experts and instruments share one id space, the resource id)."""
    rec = {c: str(r.get(c, "") or "") for c in columns}
    bad = [
        CatalogIssue(name, rowno, c, "required value is empty")
        for c, req in columns.items()
        if req and not rec[c]
    ]
    if dup := _duplicate(first, rec[id_col], name, rowno, id_col):
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


def _place(adcode: str, geo: Gazetteer, name: str, rowno: int, bad: list[CatalogIssue]):
    """The place of an adcode cell, or None (reported in ``bad`` when the code is unknown)."""
    if not adcode:
        return None
    try:
        return geo.get(adcode)
    except RegionError:
        bad.append(CatalogIssue(name, rowno, "adcode", f"unknown region code {adcode!r}"))
        return None


def _validate_experts(
    df: pd.DataFrame,
    name: str,
    taxonomy: Taxonomy,
    geo: Gazetteer,
    industries: set[str],
    elsewhere: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[CatalogIssue]]:
    issues: list[CatalogIssue] = []
    rows: list[dict] = []
    first: dict[str, int] = {}
    subs = taxonomy.sub_services
    for r in df.to_dict("records"):
        rowno = int(r[ROW])
        if shape := _shape_issue(r, name):
            issues.append(shape)
            continue
        rec, bad = _start_row(r, EXPERT_COLUMNS, name, rowno, "expert_id", first, elsewhere)
        if rec["category"] and rec["category"] not in CATEGORY_CODES:
            bad.append(
                CatalogIssue(name, rowno, "category", f"unknown category {rec['category']!r}")
            )
        unknown = [x for x in _split_list(rec["sub_services"]) if x not in subs]
        if unknown:
            bad.append(
                CatalogIssue(name, rowno, "sub_services", f"unknown sub-service code(s) {unknown}")
            )
        unknown = [x for x in _split_list(rec["industries"]) if x not in industries]
        if unknown:
            bad.append(
                CatalogIssue(
                    name, rowno, "industries", f"not GB/T 4754-2017 division codes: {unknown}"
                )
            )
        rec["availability"] = rec["availability"] or "available"
        if rec["availability"] not in AVAILABILITY:
            bad.append(
                CatalogIssue(
                    name, rowno, "availability", f"must be one of {', '.join(AVAILABILITY)}"
                )
            )
        modes = _split_list(rec["modes"]) or ["onsite"]
        if [m for m in modes if m not in MODES]:
            bad.append(CatalogIssue(name, rowno, "modes", f"use {LIST_SEP.join(MODES)}"))
        rec["modes"] = LIST_SEP.join(modes)
        place = _place(rec["adcode"], geo, name, rowno, bad)
        b = _parse_bool(rec["demo"])
        if b is None:
            bad.append(CatalogIssue(name, rowno, "demo", f"not a yes/no value: {rec['demo']!r}"))
        if bad:
            issues.extend(bad)
            continue
        rec.update(
            province=place.province,
            city=place.city or "",
            district=place.county or "",
            longitude=place.lon,
            latitude=place.lat,
            demo=bool(b),
        )
        rows.append(rec)
    cols = list(EXPERT_COLUMNS) + ["province", "city", "district", "longitude", "latitude"]
    return pd.DataFrame(rows, columns=cols), issues


def _validate_instruments(
    df: pd.DataFrame,
    name: str,
    taxonomy: Taxonomy,
    geo: Gazetteer,
    institutions: pd.DataFrame,
    known_bad: set[str],
    elsewhere: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[CatalogIssue]]:
    issues: list[CatalogIssue] = []
    rows: list[dict] = []
    first: dict[str, int] = {}
    owners = institutions.set_index("institution_id")
    for r in df.to_dict("records"):
        rowno = int(r[ROW])
        if shape := _shape_issue(r, name):
            issues.append(shape)
            continue
        rec, bad = _start_row(r, INSTRUMENT_COLUMNS, name, rowno, "instrument_id", first, elsewhere)
        owner = rec["owner_institution_id"]
        if owner and owner not in owners.index:
            why = (
                "was rejected (see its errors)"
                if owner in known_bad
                else "is not in the institutions table"
            )
            bad.append(
                CatalogIssue(name, rowno, "owner_institution_id", f"institution {owner!r} {why}")
            )
        if rec["sub_service"] and rec["sub_service"] not in taxonomy.sub_services:
            bad.append(
                CatalogIssue(
                    name, rowno, "sub_service", f"unknown sub-service code {rec['sub_service']!r}"
                )
            )
        if rec["price_unit"] and rec["price_unit"] not in PRICE_UNITS:
            bad.append(
                CatalogIssue(name, rowno, "price_unit", f"must be one of {', '.join(PRICE_UNITS)}")
            )
        price = None
        if rec["price"]:
            try:
                price = float(rec["price"])
                if not math.isfinite(price) or price < 0:
                    raise ValueError
            except ValueError:
                bad.append(CatalogIssue(name, rowno, "price", f"not a price: {rec['price']!r}"))
        operated, demo = _parse_bool(rec["operated_service"]), _parse_bool(rec["demo"])
        for col, val in (("operated_service", operated), ("demo", demo)):
            if val is None:
                bad.append(CatalogIssue(name, rowno, col, f"not a yes/no value: {rec[col]!r}"))
        place = _place(rec["adcode"], geo, name, rowno, bad)
        if bad:
            issues.extend(bad)
            continue
        o = owners.loc[owner]
        place = place or geo.get(o["adcode"])
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
            category=taxonomy.category_of(rec["sub_service"]),
            owner_name=o["name"],
        )
        rows.append(rec)
    cols = list(INSTRUMENT_COLUMNS) + [
        "province",
        "city",
        "district",
        "longitude",
        "latitude",
        "category",
        "owner_name",
    ]
    return pd.DataFrame(rows, columns=cols), issues


def catalog_files(path: Path) -> tuple[tuple[Path, str | None], tuple[Path, str | None]]:
    """(institutions, capabilities) sources for a catalog directory or a two-sheet XLSX."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in {".xlsx", ".xlsm"}:
        return (path, "institutions"), (path, "capabilities")
    if not path.is_dir():
        raise CatalogError(
            f"catalog not found: {path} (a directory with institutions.csv and capabilities.csv, or an .xlsx)"
        )
    inst, caps = _find(path, "institutions"), _find(path, "capabilities")
    if inst is None or caps is None:
        raise CatalogError(f"{path}: needs institutions.csv|xlsx and capabilities.csv|xlsx")
    return (inst, None), (caps, None)


def file_fingerprint(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(set(paths)):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def load_catalog(
    path: Path, taxonomy: Taxonomy | None = None, geo: Gazetteer | None = None
) -> Catalog:
    """Load and validate a catalog; raise CatalogError only when nothing usable can be read."""
    taxonomy = taxonomy or load_taxonomy()
    geo = geo or gazetteer()
    (ipath, isheet), (cpath, csheet) = catalog_files(Path(path))
    iname = ipath.name + (f"[{isheet}]" if isheet else "")
    cname = cpath.name + (f"[{csheet}]" if csheet else "")
    idf = _read_table(ipath, isheet)
    cdf = _read_table(cpath, csheet)
    _check_columns(idf, INSTITUTION_COLUMNS, iname)
    _check_columns(cdf, CAPABILITY_COLUMNS, cname)
    institutions, i_issues = _validate_institutions(idf, iname, geo)
    good = set(institutions["institution_id"])
    known_bad = set(idf["institution_id"]) - good
    lines, c_issues = _validate_lines(cdf, cname, taxonomy, good, known_bad)
    issues = i_issues + c_issues
    if issues:
        log.warning(
            "catalog: %d row(s) rejected; first: %s",
            len({(i.file, i.row) for i in issues}),
            issues[0],
        )
    sources = [ipath, cpath]
    experts = instruments = None
    taken = _ids_where(idf, "institution_id", iname)  # resource ids of the other tables
    for stem in ("experts", "instruments"):
        found = _optional_table(Path(path), stem)
        if found is None:
            continue
        fpath, sheet = found
        fname = fpath.name + (f"[{sheet}]" if sheet else "")
        df = _read_table(fpath, sheet)
        spec = EXPERT_COLUMNS if stem == "experts" else INSTRUMENT_COLUMNS
        _check_columns(df, spec, fname)
        if stem == "experts":
            experts, more = _validate_experts(
                df, fname, taxonomy, geo, _division_codes(), dict(taken)
            )
            taken = _ids_where(df, "expert_id", fname) | taken
        else:
            instruments, more = _validate_instruments(
                df, fname, taxonomy, geo, institutions, known_bad, dict(taken)
            )
        issues += more
        sources.append(fpath)
    if issues:
        log.warning(
            "catalog: %d row(s) rejected; first: %s",
            len({(i.file, i.row) for i in issues}),
            issues[0],
        )
    version = file_fingerprint(sources)
    cat = Catalog(institutions, lines, issues, version, [str(p) for p in dict.fromkeys(sources)])
    if experts is not None:
        cat.experts = experts
    if instruments is not None:
        cat.instruments = instruments
    return cat


def _ids_where(df: pd.DataFrame, id_col: str, name: str) -> dict[str, str]:
    """Each id of a table → ``"file row N"`` of its first row (rows of a wrong shape left out)."""
    out: dict[str, str] = {}
    for value, row, shape in zip(df[id_col], df[ROW], df[SHAPE], strict=True):
        if value and not shape and value not in out:
            out[value] = f"{name} row {row}"
    return out


def _optional_table(path: Path, stem: str) -> tuple[Path, str | None] | None:
    if path.is_file():
        try:
            sheets = pd.ExcelFile(path).sheet_names
        except (ValueError, OSError):
            return None
        return (path, stem) if stem in sheets else None
    found = _find(path, stem)
    return (found, None) if found else None


def _division_codes() -> set[str]:
    import yaml

    from qis_match.settings import DATA_DIR

    with open(DATA_DIR / "industry" / "gbt4754_2017.yaml", encoding="utf-8") as fh:
        return {d["code"] for d in yaml.safe_load(fh)["divisions"]}
