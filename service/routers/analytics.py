"""Analytics for analysts (issue #8): the demand-gap tables, charts and workbook, and the page.

Every endpoint needs an ``analyst`` key. Recording matches in the demand log is the demand
recorder's (``service/demand_recorder.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from qis_match.analytics.analysis import Analysis, analyse
from qis_match.analytics.charts import CHARTS, draw_all
from qis_match.analytics.report import sections, write_xlsx
from qis_match.encoders.cache import EmbeddingCache
from qis_match.store.demand_log import DemandRequest
from service.demand_recorder import demand_log
from service.deps import AppState, require, state
from service.security import Principal

log = logging.getLogger("qis_match.service")
router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
pages = APIRouter(include_in_schema=False)
analyst = require("analyst")
CACHE_SECONDS = 300
_lock = threading.Lock()


# --- the analysis, cached per log state


def _embedding_cache(st: AppState) -> EmbeddingCache:
    """One embedding cache for the topics of every analysis (opening one checks the file)."""
    cache = st.extra.get("analytics_embedding_cache")
    if cache is None:
        cache = st.extra.setdefault(
            "analytics_embedding_cache", EmbeddingCache(st.settings.cache_path)
        )
    return cache


def _analysis(
    st: AppState, since: datetime | None, until: datetime | None, province: str | None
) -> Analysis:
    dl = demand_log(st)
    if dl is None:
        raise HTTPException(503, st.store_error or "database unavailable")
    from sqlalchemy import func, select

    with dl.engine.connect() as conn:
        n, last = conn.execute(
            select(func.count(), func.max(DemandRequest.id)).select_from(DemandRequest)
        ).one()
    if not n:
        raise HTTPException(
            404, "the demand log is empty: run `qis-match gaps --demo` or match with logging on"
        )
    key = (n, last, since, until, province)
    with _lock:
        hit = st.extra.get("analysis")
        if hit and hit[0] == key and time.monotonic() - hit[1] < CACHE_SECONDS:
            return hit[2]
        m = st.matcher
        a = analyse(
            st.settings,
            dl,
            index=m.index if m else None,
            encoder=m.encoder if m else None,
            cache=_embedding_cache(st) if m else None,
            since=since,
            until=until,
            province=province,
        )
        st.extra["analysis"] = (key, time.monotonic(), a)
        return a


def _params(
    since: datetime | None = Query(None, description="from (ISO date)"),
    until: datetime | None = Query(None, description="before (ISO date)"),
    province: str = Query("湖南省", max_length=20, description="附件3 province; 'all' for all"),
) -> dict:
    return {"since": since, "until": until, "province": None if province == "all" else province}


@router.get("/summary", summary="Headline figures and every display table of the report")
def summary(
    p: dict = Depends(_params),
    limit: int = Query(30, ge=1, le=500),
    _: Principal = Depends(analyst),
    st: AppState = Depends(state),
) -> dict:
    a = _analysis(st, **p)
    return {"kpis": a.kpis, "sections": sections(a, limit), "charts": list(CHARTS)}


@router.get(
    "/demand-supply", summary="Demand vs supply by category × sub-service × region × industry"
)
def demand_supply(
    p: dict = Depends(_params),
    category: str | None = Query(None, max_length=20),
    city: str | None = Query(None, max_length=30),
    limit: int = Query(200, ge=1, le=5000),
    _: Principal = Depends(analyst),
    st: AppState = Depends(state),
) -> dict:
    df = _analysis(st, **p).demand_supply
    if category:
        df = df[df["category"] == category]
    if city:
        df = df[df["city"] == city]
    rows = df.head(limit).astype(object).where(df.head(limit).notna(), None)
    return {"count": len(df), "rows": rows.to_dict("records")}


@router.get("/topics", summary="Unmet demand clustered into named topics")
def topics(
    p: dict = Depends(_params), _: Principal = Depends(analyst), st: AppState = Depends(state)
) -> dict:
    t = _analysis(st, **p).topics.table
    return {"topics": t.astype(object).where(t.notna(), None).to_dict("records")}


@router.get("/charts/{name}.png", summary="A chart of the report (PNG)")
def chart(
    name: str,
    p: dict = Depends(_params),
    _: Principal = Depends(analyst),
    st: AppState = Depends(state),
) -> Response:
    if name not in CHARTS:
        raise HTTPException(404, f"unknown chart {name!r}; charts: {', '.join(CHARTS)}")
    a = _analysis(st, **p)
    with TemporaryDirectory() as d:
        files = draw_all(a, Path(d))
        data = files[name].read_bytes()
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/report.xlsx", summary="The workbook: 附件3 and every table")
def workbook(
    p: dict = Depends(_params), _: Principal = Depends(analyst), st: AppState = Depends(state)
) -> Response:
    a = _analysis(st, **p)
    with TemporaryDirectory() as d:
        path = write_xlsx(a, Path(d) / "demand_gaps.xlsx", a.hunan_province or "全部地区")
        data = path.read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": 'attachment; filename="demand_gaps.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@pages.get("/analytics", response_class=HTMLResponse)
def analytics_page(request: Request):
    """The analyst page: data comes from the API above with the analyst key."""
    from service.routers.pages import _ctx, templates

    ctx = _ctx(request, "analytics")
    ctx["nav"] = "analytics"
    return templates.TemplateResponse(request, "analytics.html", ctx)
