"""Analytics for analysts (issue #8): the demand-gap tables, charts and workbook, and the page.

Every endpoint needs an ``analyst`` key. The work is ``service.analytics_jobs``, run in a process of
its own (``service.analytics_worker``) so an export never stalls a match. Recording matches in the
demand log is the demand recorder's (``service/demand_recorder.py``).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.analytics_jobs import EmptyLogError, UnknownChartError
from service.analytics_worker import AnalyticsUnavailableError, Runner, make_runner
from service.demand_recorder import demand_log
from service.deps import AppState, require, state
from service.security import Principal

log = logging.getLogger("qis_match.service")
router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
pages = APIRouter(include_in_schema=False)
analyst = require("analyst")
_lock = threading.Lock()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _runner(st: AppState) -> Runner:
    """The service's one runner of analytics jobs (a worker process unless the settings say no)."""
    dl = demand_log(st)
    if dl is None:
        raise HTTPException(503, st.store_error or "database unavailable")
    with _lock:
        held = st.extra.get("analytics")
        if held is not None and held[0] is dl:
            return held[1]
        if held is not None:
            held[1].close()
        runner = make_runner(
            st.settings,
            dl,
            index=lambda: st.matcher.index if st.matcher else None,
            encoder=lambda: st.matcher.encoder if st.matcher else None,
        )
        st.extra["analytics"] = (dl, runner)
        return runner


def close_runner(st: AppState) -> None:
    """At shutdown: stop the analytics process, if one was started."""
    held = st.extra.pop("analytics", None)
    if held is not None:
        held[1].close()


def _call(st: AppState, job: str, **kwargs):
    try:
        return _runner(st).call(job, **kwargs)
    except (EmptyLogError, UnknownChartError) as exc:
        raise HTTPException(404, str(exc)) from exc
    except AnalyticsUnavailableError as exc:
        raise HTTPException(504 if exc.timed_out else 503, str(exc)) from exc


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
    return _call(st, "summary", limit=limit, **p)


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
    return _call(st, "demand_supply", category=category, city=city, limit=limit, **p)


@router.get("/topics", summary="Unmet demand clustered into named topics")
def topics(
    p: dict = Depends(_params), _: Principal = Depends(analyst), st: AppState = Depends(state)
) -> dict:
    return _call(st, "topics", **p)


@router.get("/charts/{name}.png", summary="A chart of the report (PNG)")
def chart(
    name: str,
    p: dict = Depends(_params),
    _: Principal = Depends(analyst),
    st: AppState = Depends(state),
) -> Response:
    data = _call(st, "chart", name=name, **p)
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/report.xlsx", summary="The workbook: 附件3 and every table")
def workbook(
    p: dict = Depends(_params), _: Principal = Depends(analyst), st: AppState = Depends(state)
) -> Response:
    data = _call(st, "workbook", **p)
    return Response(
        data,
        media_type=XLSX,
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
