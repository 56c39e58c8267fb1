"""Catalog maintenance (clerk or admin): validate an upload row by row before it is imported."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile

from qis_match.catalog import load_catalog
from qis_match.errors import CatalogError
from service.deps import require
from service.schemas import CatalogValidationOut
from service.security import Principal

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])
MAX_UPLOAD = 50 * 1024 * 1024


@router.post(
    "/validate",
    response_model=CatalogValidationOut,
    summary="Report every bad cell of a catalog upload",
)
async def validate(
    files: list[UploadFile] = File(
        ..., description="institutions.csv and capabilities.csv, or one .xlsx with both sheets"
    ),
    _: Principal = Depends(require("clerk", "admin")),
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        names = []
        for f in files:
            name = Path(f.filename or "").name
            if name not in {
                "institutions.csv",
                "capabilities.csv",
                "institutions.xlsx",
                "capabilities.xlsx",
            } and not name.endswith(".xlsx"):
                raise HTTPException(
                    422,
                    f"unexpected file {name!r}: send institutions.csv and capabilities.csv, or one .xlsx",
                )
            data = await f.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise HTTPException(413, f"{name} is larger than {MAX_UPLOAD // 1024 // 1024} MB")
            (d / name).write_bytes(data)
            names.append(name)
        target = d / names[0] if len(names) == 1 and names[0].endswith(".xlsx") else d
        try:
            cat = load_catalog(target)
        except CatalogError as exc:
            raise HTTPException(422, str(exc).replace(str(d) + "/", "")) from None
    return {
        "valid_institutions": len(cat.institutions),
        "valid_lines": len(cat.lines),
        "issues": [vars(i) | {} for i in cat.issues],
    }
