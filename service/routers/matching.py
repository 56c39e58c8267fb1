"""Public endpoints: match a request, search the catalog, read a resource, list the kinds."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request

from qis_match.catalog.kinds import card_of, kind_names, kinds
from qis_match.pipeline import Matcher
from qis_match.ranking.ranker import Filters
from qis_match.store.demand_log import new_request_id
from service.demand_recorder import record_match, source_of
from service.deps import AppState, matcher, state
from service.schemas import Category, KindsOut, MatchIn, MatchOut, ResourceOut, SearchOut
from service.ticketing import match_memory

router = APIRouter(prefix="/api/v1", tags=["matching"])


@router.post(
    "/match",
    response_model=MatchOut,
    summary="Understand a request and refer it (needs, bundle, referrals)",
)
def match(
    body: MatchIn,
    request: Request,
    background: BackgroundTasks,
    m: Matcher = Depends(matcher),
    st: AppState = Depends(state),
) -> dict:
    filters = Filters(**body.filters.model_dump()) if body.filters else None
    res = m.match(body.text, region=body.region, top_k=body.top_k, filters=filters)
    out = res.to_dict()
    out["request_id"] = new_request_id()
    match_memory(st).put(out["request_id"], body.text, body.region, res)  # for its ticket
    if st.settings.demand_log:  # recorded after the response is sent (issue #8)
        background.add_task(
            record_match,
            st,
            res,
            channel_of(request),
            out["request_id"],
            source=source_of(st, request),
        )
    return out


@router.get(
    "/search", response_model=SearchOut, summary="SME self-search of the catalog with filters"
)
def search(
    q: str = Query("", max_length=200, description="words, e.g. 电热水壶 泄漏电流"),
    region: str | None = Query(None, max_length=40),
    category: list[Category] | None = Query(None),
    sub_service: list[str] | None = Query(None, max_length=20),
    province: str | None = Query(None, max_length=20),
    city: str | None = Query(None, max_length=30),
    online: bool | None = None,
    discount: bool | None = Query(None, description="小微优惠"),
    accreditation: str | None = Query(None, max_length=40),
    resource_type: list[str] | None = Query(
        None, max_length=20, description="resource kinds (GET /api/v1/kinds; default: all)"
    ),
    top_k: int = Query(20, ge=1, le=100),
    m: Matcher = Depends(matcher),
) -> dict:
    unknown = sorted(set(resource_type or []) - set(kind_names()))
    if unknown:
        raise HTTPException(
            422, f"unknown resource_type {unknown[0]!r}: one of {', '.join(kind_names())}"
        )
    filters = Filters(
        categories=category or None,
        sub_services=sub_service or None,
        province=province or None,
        city=city or None,
        online=online,
        small_business_discount=discount,
        accreditation=accreditation or None,
        resource_types=resource_type or None,
    )
    results = [
        r.to_dict() for r in m.search(q, region=region or None, filters=filters, top_k=top_k)
    ]
    for r in results:
        r["card"] = card_of(r, "search")
    return {"results": results, "count": len(results)}


@router.get("/kinds", response_model=KindsOut, summary="The resource kinds the catalog can hold")
def list_kinds() -> dict:
    return {"kinds": [k.describe() for k in kinds()]}


@router.get(
    "/resources/{resource_id}",
    response_model=ResourceOut,
    summary="A resource of any kind (institution, expert …) and its lines",
)
def resource(resource_id: str, m: Matcher = Depends(matcher)) -> dict:
    found = m.resource(resource_id)
    if found is None:
        raise HTTPException(404, f"resource {resource_id!r} not found")
    return found


@router.get(
    "/institutions/{institution_id}",
    response_model=ResourceOut,
    summary="An institution and its capability lines",
)
def institution(institution_id: str, m: Matcher = Depends(matcher)) -> dict:
    inst = m.institution(institution_id)
    if inst is None:
        raise HTTPException(404, f"institution {institution_id!r} not found")
    return inst


def channel_of(request: Request) -> str:
    """console when the clerk's page sent it (a same-origin fetch: the pages send no Referer),
    else api."""
    same_origin = request.headers.get("sec-fetch-site") == "same-origin"
    return "console" if same_origin or "/console" in request.headers.get("referer", "") else "api"
