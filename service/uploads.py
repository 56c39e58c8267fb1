"""Save catalog uploads to a scratch folder under names the server chooses.

A client's filename is only a hint of what the file is: a 300-character name used as given made
the filesystem refuse it (ENAMETOOLONG, a 500). Here a known table name is kept, any ``.xlsx``
is saved as ``catalog.xlsx``, and everything else is a clear 422 that quotes the name shortened.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, UploadFile

from qis_match.catalog.kinds import table_stems

MAX_UPLOAD = 50 * 1024 * 1024
XLSX = "catalog.xlsx"


def _shown(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def catalog_tables() -> frozenset[str]:
    """The file names of every table a registered kind reads (institutions.csv …)."""
    return frozenset(f"{stem}.csv" for stem in table_stems())


async def save_uploads(files: list[UploadFile], into: Path, tables=None) -> Path | None:
    """Write the uploads into ``into``; the path to load (the folder, or the one workbook)."""
    tables = tables if tables is not None else catalog_tables()
    target: Path | None = None
    for f in files:
        given = Path((f.filename or "").replace("\\", "/")).name
        if given in tables:
            name = given
        elif given.lower().endswith(".xlsx"):
            name = XLSX
        else:
            raise HTTPException(
                422,
                f"unexpected file {_shown(given)!r}: send {', '.join(sorted(tables))} or one .xlsx",
            )
        data = await f.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise HTTPException(413, f"{_shown(given)} is larger than {MAX_UPLOAD // 2**20} MB")
        (into / name).write_bytes(data)
        target = into / name if name == XLSX else (target or into)
    return target
