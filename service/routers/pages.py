"""The pages (Chinese UI), served by the same app. They are thin: data comes from the JSON API
through static/app.js, which renders every user-supplied string with textContent (inert)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from qis_match.store.tickets import STATUSES
from qis_match.taxonomy import load_taxonomy

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))


def _ctx(request: Request, page: str, **kw) -> dict:
    tax = load_taxonomy()
    return {
        "request": request,
        "page": page,
        "categories": [(c.code, c.name) for c in tax.categories],
        "statuses": STATUSES,
        # Read by static/app.js from a JSON script element (rendered with |tojson, inert).
        "ui_data": {
            "categories": [[c.code, c.name] for c in tax.categories],  # in taxonomy order
            "sub_services": {s.code: s.name for c in tax.categories for s in c.sub_services},
            "statuses": list(STATUSES),
        },
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


@router.get("/institution/{institution_id}", response_class=HTMLResponse)
def institution(request: Request, institution_id: str):
    return templates.TemplateResponse(
        request, "institution.html", _ctx(request, "search", institution_id=institution_id)
    )


@router.get("/board", response_class=HTMLResponse)
def board(request: Request):
    return templates.TemplateResponse(request, "board.html", _ctx(request, "board"))


@router.get("/slip/{ticket_id}", response_class=HTMLResponse)
def slip(request: Request, ticket_id: int):
    return templates.TemplateResponse(
        request, "slip.html", _ctx(request, "slip", ticket_id=ticket_id)
    )
