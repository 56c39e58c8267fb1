"""The pages (Chinese UI), served by the same app. They are thin: data comes from the JSON API
through static/js/*.js, which render every user-supplied string with textContent (inert)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from qis_match.catalog.kinds import kinds
from qis_match.industry import divisions
from qis_match.store.tickets import STATUSES
from qis_match.taxonomy import load_taxonomy

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))

# Which entry of the navigation each page belongs to.
NAV = {"console": "console", "search": "search", "resource": "search", "board": "board"}


def _industries() -> dict[str, list[str]]:
    """GB/T 4754-2017 divisions: code → [section letter, name] (experts list division codes)."""
    return {c: [d.section, d.name] for c, d in divisions().items()}


def _ctx(request: Request, page: str, **kw) -> dict:
    tax = load_taxonomy()
    ui_data = {
        "categories": [[c.code, c.name] for c in tax.categories],  # in taxonomy order
        "sub_services": {s.code: s.name for c in tax.categories for s in c.sub_services},
        "statuses": list(STATUSES),
        "kinds": [k.describe() for k in kinds()],  # pages know no kind: they read these
    }
    if page in ("console", "search", "resource"):
        ui_data["industries"] = _industries()
    return {
        "request": request,
        "page": page,
        "nav": NAV.get(page, ""),
        "categories": [(c.code, c.name) for c in tax.categories],
        "statuses": STATUSES,
        "kinds": ui_data["kinds"],
        # Read by static/js/*.js from a JSON script element (rendered with |tojson, inert).
        "ui_data": ui_data,
        **kw,
    }


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/console")


@router.get("/console", response_class=HTMLResponse)
def console(request: Request):
    return templates.TemplateResponse(request, "console.html", _ctx(request, "console"))


@router.get("/search", response_class=HTMLResponse)
def search(request: Request):
    return templates.TemplateResponse(request, "search.html", _ctx(request, "search"))


@router.get("/resource/{resource_id}", response_class=HTMLResponse)
def resource(request: Request, resource_id: str):
    """A resource of any kind (the page loads it from the API)."""
    return templates.TemplateResponse(
        request, "resource.html", _ctx(request, "resource", resource_id=resource_id)
    )


@router.get("/institution/{institution_id}")
def institution(institution_id: str) -> RedirectResponse:
    """The old address of an institution's page."""
    return RedirectResponse("/resource/" + quote(institution_id, safe=""), status_code=308)


@router.get("/board", response_class=HTMLResponse)
def board(request: Request):
    return templates.TemplateResponse(request, "board.html", _ctx(request, "board"))


@router.get("/slip/{ticket_id}", response_class=HTMLResponse)
def slip(request: Request, ticket_id: int):
    return templates.TemplateResponse(
        request, "slip.html", _ctx(request, "slip", ticket_id=ticket_id)
    )
