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
from service.uploads import save_uploads

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


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
        target = await save_uploads(files, d)
        try:
            cat = load_catalog(target)
        except CatalogError as exc:
            raise HTTPException(422, str(exc).replace(str(d) + "/", "")) from None
    return {
        "valid_institutions": len(cat.institutions),
        "valid_lines": len(cat.lines),
        "issues": [vars(i) | {} for i in cat.issues],
    }
