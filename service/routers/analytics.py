"""Analytics for analysts (issue #8): the demand-gap tables, charts and workbook, and the page.

Every endpoint needs an ``analyst`` key. Also here: recording matches in the demand log from the
API and the console (after the response is sent; a logging failure is logged, never returned).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from qis_match.analytics.analysis import Analysis, analyse
from qis_match.analytics.charts import CHARTS, draw_all
from qis_match.analytics.report import sections, write_xlsx
from qis_match.referral.models import MatchResult
from qis_match.store.demand_log import DemandLog, DemandRequest
from qis_match.store.tickets import utcnow
from service.demand_recorder import recorder
from service.deps import AppState, require, state
from service.security import Principal

log = logging.getLogger("qis_match.service")
router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
pages = APIRouter(include_in_schema=False)
analyst = require("analyst")
CACHE_SECONDS = 300
_lock = threading.Lock()


# --- recording (used by the matching and ticket routers)


def demand_log(st: AppState) -> DemandLog | None:
    """The demand log on the ticket database's engine (None when the database is unavailable)."""
    if st.store is None:
        return None
    dl = st.extra.get("demand_log")
    if dl is None or dl.engine is not st.store.engine:
        dl = DemandLog(engine=st.store.engine)
        st.extra["demand_log"] = dl
    return dl


def record_match(
    st: AppState, result: MatchResult, channel: str, request_id: str, actor: str | None = None
) -> None:
    """Log one match. Runs after the response; never raises."""
    if not st.settings.demand_log:
        return
    try:
        dl = demand_log(st)
    except Exception:  # noqa: BLE001 - spooled below
        dl = None
    try:
        recorder(st).record(dl, result, channel=channel, request_id=request_id, actor=actor)
    except Exception as exc:  # noqa: BLE001 - the match was already answered
        log.error("demand log: could not record a match (%s)", type(exc).__name__)


def channel_of(request: Request) -> str:
    """console when the clerk's page sent it (a same-origin fetch: the pages send no Referer),
    else api."""
    same_origin = request.headers.get("sec-fetch-site") == "same-origin"
    return "console" if same_origin or "/console" in request.headers.get("referer", "") else "api"


def link_request(
    st: AppState, result: MatchResult, request_id: str | None, actor: str
) -> str | None:
    """The demand-log request a new ticket comes from: the one named, else the console's recent
    match of the same text (not counted twice), else the ticket's own match, logged now."""
    if not st.settings.demand_log:
        return None
    try:
        dl = demand_log(st)
        if dl is None:
            return None
        if request_id and dl.exists(request_id):
            return request_id
        found = dl.find_recent(result.text, utcnow() - timedelta(hours=2))
        return found or dl.record(result, channel="ticket", actor=actor)
    except Exception as exc:  # noqa: BLE001 - a ticket is created even if the log is down
        log.warning("demand log: could not link a ticket (%s)", type(exc).__name__)
        return None


# --- the analysis, cached per log state


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
