"""Load a catalog from CSV or XLSX and validate it cell by cell.

A bad row is reported by file, row and column and left out; every good row is kept, so one typo
in a 50,000-line upload does not lose the other 49,999. Rows whose institution was rejected are
rejected too, with a message that says why.

Which tables a catalog has, and how each is validated, is the registry's
(:mod:`qis_match.catalog.kinds`): the institutions and their capabilities are required, every
other kind's table (experts, shared equipment …) is read when present.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qis_match.catalog.cells import ROW, SHAPE
from qis_match.catalog.kinds import TableContext, get_kind, kind_of_table, kinds
from qis_match.catalog.kinds.institution import CAPABILITY_COLUMNS, INSTITUTION_COLUMNS
from qis_match.catalog.schema import CatalogIssue
from qis_match.errors import CatalogError
from qis_match.geo import Gazetteer, gazetteer
from qis_match.industry import division_codes
from qis_match.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)


@dataclass
class Catalog:
    """Validated institutions and capability lines, every other kind's table, plus what was
    rejected and why."""

    institutions: pd.DataFrame
    lines: pd.DataFrame
    issues: list[CatalogIssue] = field(default_factory=list)
    version: str = ""
    sources: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # kind name → its rows

    @property
    def errors(self) -> list[CatalogIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def table(self, kind: str) -> pd.DataFrame:
        """The rows of one kind (an empty table with its columns when the catalog has none)."""
        if kind == "institution":
            return self.institutions
        found = self.tables.get(kind)
        return found if found is not None else get_kind(kind).empty()

    def __getattr__(self, name: str) -> pd.DataFrame:
        # catalog.experts …: a kind's table by its table name (ResourceKind.table)
        kind = kind_of_table(name) if not name.startswith("_") else None
        if kind is None:
            raise AttributeError(name)
        return self.table(kind.name)


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
    institution = get_kind("institution")
    (ipath, isheet), (cpath, csheet) = catalog_files(Path(path))
    iname = ipath.name + (f"[{isheet}]" if isheet else "")
    cname = cpath.name + (f"[{csheet}]" if csheet else "")
    idf = _read_table(ipath, isheet)
    cdf = _read_table(cpath, csheet)
    _check_columns(idf, INSTITUTION_COLUMNS, iname)
    _check_columns(cdf, CAPABILITY_COLUMNS, cname)
    ctx = TableContext(taxonomy, geo, pd.DataFrame(), industries=division_codes())
    institutions, issues = institution.validate(idf, iname, ctx)
    good = set(institutions["institution_id"])
    known_bad = set(idf["institution_id"]) - good
    lines, c_issues = institution.validate_lines(cdf, cname, taxonomy, good, known_bad)
    issues += c_issues
    sources = [ipath, cpath]
    tables: dict[str, pd.DataFrame] = {}
    taken = _ids_where(idf, "institution_id", iname)  # resource ids of the other tables
    for kind in kinds():
        if kind.required:
            continue
        found = _optional_table(Path(path), kind.table)
        if found is None:
            continue
        fpath, sheet = found
        fname = fpath.name + (f"[{sheet}]" if sheet else "")
        df = _read_table(fpath, sheet)
        _check_columns(df, kind.columns, fname)
        ctx = TableContext(
            taxonomy, geo, institutions, frozenset(known_bad), dict(taken), ctx.industries
        )
        tables[kind.name], more = kind.validate(df, fname, ctx)
        taken = _ids_where(df, kind.id_column, fname) | taken
        issues += more
        sources.append(fpath)
    if issues:
        log.warning(
            "catalog: %d row(s) rejected; first: %s",
            len({(i.file, i.row) for i in issues}),
            issues[0],
        )
    version = file_fingerprint(sources)
    return Catalog(
        institutions, lines, issues, version, [str(p) for p in dict.fromkeys(sources)], tables
    )


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
