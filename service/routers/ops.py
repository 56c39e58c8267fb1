"""Operations: health (with the index and database it depends on) and Prometheus metrics.

When the index version ``CURRENT`` names cannot be served (damaged, fails verification), health
says ``"status": "degraded"`` with ``index_degraded``, the version wanted, the one serving and why
(``index_problems``), and ``/metrics`` has ``qis_index_degraded 1`` (service/reload.py). The
database is probed for a write, not only a read: a read-only one is ``"database": "read-only"``,
and ``demand_spooled`` counts the matches whose demand rows wait on disk for it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qis_match.store.health import database_state
from service.demand_recorder import recorder
from service.deps import AppState, reopen_store, state
from service.schemas import HealthOut

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(st: AppState = Depends(state)) -> Response:
    reopen_store(st)
    try:
        db = "unavailable" if st.store is None else database_state(st.store.engine)
    except Exception:  # noqa: BLE001 - any failure means the database cannot serve
        db = "unavailable"
    m = st.matcher
    index = st.reloader.status.to_dict() if st.reloader is not None else {}
    degraded = m is None or db != "ok" or bool(index.get("index_degraded"))
    body = {
        "status": "degraded" if degraded else "ok",
        "index_version": m.index.version if m else None,
        "catalog_version": m.index.manifest.get("catalog_version") if m else None,
        "database": db,
        "demand_spooled": recorder(st).spool.pending() if st.settings.demand_log else 0,
        **index,
    }
    # An older good version serving (index_degraded) still answers every request: 200, so that
    # a load balancer keeps the instance; 503 only when no index or no database serves.
    return JSONResponse(body, status_code=200 if m is not None and db == "ok" else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(st: AppState = Depends(state)) -> Response:
    return Response(generate_latest(st.extra["registry"]), media_type=CONTENT_TYPE_LATEST)
