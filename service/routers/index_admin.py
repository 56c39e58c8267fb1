"""The index being served, and incremental catalog updates through the API (admin).

An update is validated as a whole (one bad row rejects it, with row and column, and nothing
changes), recorded in the catalog update journal (so that a rebuild keeps it:
``qis_match.catalog.updates``), applied as a new index version, and loaded before the answer, so
the next request sees it. Uploads are saved under names the server chooses
(``service.uploads.save_uploads``): a client's 300-character filename is a 422, not a crash.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool

from qis_match.catalog.kinds import kinds
from qis_match.errors import CatalogError
from qis_match.pipeline import Matcher
from qis_match.store.audit import AuditLog
from qis_match.update import update_index
from service.deps import AppState, matcher, require, state
from service.security import Principal
from service.uploads import save_uploads

router = APIRouter(prefix="/api/v1/index", tags=["index"])


def _info(m: Matcher) -> dict:
    man = m.index.manifest
    return {
        "index_version": m.index.version,
        "catalog_version": man.get("catalog_version"),
        "encoder": man.get("encoder"),
        "dense_index": man.get("dense_index"),
        "built_at": man.get("built_at"),
        "updated_from": man.get("updated_from"),
        "counts": {k: man.get(k) for k in [*(k.table for k in kinds()), "lines"]},
        "catalog_changes": [  # where an upload lay on the server is nobody's business
            {k: v for k, v in c.items() if k != "source"}
            for c in man.get("catalog_changes", [])[-20:]
        ],
    }


@router.get("", summary="The index version being served and its latest catalog changes")
def info(m: Matcher = Depends(matcher)) -> dict:
    return _info(m)


@router.post("/update", summary="Add, replace or remove institutions without a rebuild (admin)")
async def update(
    files: list[UploadFile] = File(
        default=[],
        description="institutions.csv + capabilities.csv (+ one CSV per other kind's table, "
        "GET /api/v1/kinds), or one .xlsx with those sheets: resources added or replacing "
        "those with the same id",
    ),
    remove: list[str] = Form(default=[], description="resource ids to remove"),
    m: Matcher = Depends(matcher),
    st: AppState = Depends(state),
    who: Principal = Depends(require("admin")),
) -> dict:
    remove = [r for r in remove if r.strip()]
    if not files and not remove:
        raise HTTPException(422, "send catalog files to add/replace, or ids to remove")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        target = await save_uploads(files, d)
        try:
            report = await run_in_threadpool(
                update_index, st.settings, target, remove, m.encoder, m.tokenizer
            )
        except CatalogError as exc:
            raise HTTPException(422, str(exc).replace(str(d) + "/", "")) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    serving = await run_in_threadpool(st.reloader.reload_now)
    await run_in_threadpool(  # issue 22: who changed the catalog, and how (an fsynced append)
        AuditLog(st.settings.audit_log_path).record,
        who.name,
        "catalog.update",
        report.path.name,
        upserted=len(report.upserted),
        removed=report.removed,
        serving=serving,
    )
    return {
        "index_version": report.path.name,
        "upserted": report.upserted,
        "removed": report.removed,
        "new_passages": report.new_passages,
        "retired_passages": report.retired_passages,
        "seconds": report.seconds,
        "serving": st.matcher.index.version if st.matcher else None,
    }
