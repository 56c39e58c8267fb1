"""Tickets (clerk or admin): a match turned into tracked referrals, its status and feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from qis_match.catalog.kinds import card_of
from qis_match.pipeline import Matcher
from qis_match.store.tickets import STATUSES, Ticket, TicketStore, utcnow
from service.deps import AppState, matcher, require, state, store
from service.schemas import FeedbackIn, StatusIn, TicketIn, TicketListOut, TicketOut
from service.security import Principal
from service.ticketing import TicketRefused, create_ticket

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
clerk = require("clerk", "admin")
# Ticket ids are 32-bit integers in every database: a larger one is a 422, not a driver overflow.
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]


_COLUMNS = [
    c
    for c in TicketOut.model_fields
    if c not in ("events", "feedback", "referrals", "next_status", "overdue")
]


def ticket_out(t: Ticket, with_history: bool = True) -> dict:
    """A ticket as the API returns it: always one read back from the store, so its free text
    (request, override reasons, notes, feedback) is the redacted text that was stored."""
    i = STATUSES.index(t.status)
    d = TicketOut.model_validate(
        {
            **{c: getattr(t, c) for c in _COLUMNS},
            "referrals": list(t.referrals),
            "events": list(t.events) if with_history else [],
            "feedback": list(t.feedback) if with_history else [],
            "next_status": STATUSES[i + 1] if i + 1 < len(STATUSES) else None,
            "overdue": t.status in STATUSES[:3] and t.deadline < utcnow(),
        }
    )
    out = d.model_dump()
    for ref in out["referrals"]:  # how the slip shows it, from what was snapshotted
        snap = ref.get("snapshot")
        if snap is not None:
            snap["card"] = card_of({**snap, "resource_type": ref["resource_type"]}, "slip")
    return out


def _listing(tickets: list[Ticket], st: TicketStore) -> dict:
    """A ticket list without histories, with the counts per status the board shows."""
    return {
        "tickets": [ticket_out(t, with_history=False) for t in tickets],
        "counts": st.counts_by_status(),
    }


@router.post(
    "",
    response_model=TicketOut,
    status_code=201,
    summary="Create a ticket from a request and the chosen resources",
)
def create(
    body: TicketIn,
    who: Principal = Depends(clerk),
    m: Matcher = Depends(matcher),
    st: TicketStore = Depends(store),
    state_of: AppState = Depends(state),
) -> dict:
    try:
        t = create_ticket(state_of, m, st, body, who)
    except TicketRefused as exc:
        raise HTTPException(422, str(exc)) from None
    return ticket_out(t)


@router.get(
    "",
    response_model=TicketListOut,
    summary="Tickets, by status; overdue=true for the overdue list",
)
def list_tickets(
    status: str | None = Query(None, description=" → ".join(STATUSES)),
    overdue: bool = False,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=2**31 - 1),
    _: Principal = Depends(clerk),
    st: TicketStore = Depends(store),
) -> dict:
    if status is not None and status not in STATUSES:
        raise HTTPException(422, f"unknown status {status!r}; statuses are {' → '.join(STATUSES)}")
    tickets = st.list(
        status=status, overdue_at=utcnow() if overdue else None, limit=limit, offset=offset
    )
    return _listing(tickets, st)


@router.get(
    "/overdue", response_model=TicketListOut, summary="Open tickets past their deadline (限时办结)"
)
def overdue(_: Principal = Depends(clerk), st: TicketStore = Depends(store)) -> dict:
    tickets = st.list(overdue_at=utcnow(), limit=500)
    return _listing(tickets, st)


@router.get("/{ticket_id}", response_model=TicketOut)
def get(
    ticket_id: TicketId, _: Principal = Depends(clerk), st: TicketStore = Depends(store)
) -> dict:
    return ticket_out(st.get(ticket_id))


@router.post(
    "/{ticket_id}/status", response_model=TicketOut, summary="Move a ticket to its next status"
)
def change_status(
    ticket_id: TicketId,
    body: StatusIn,
    who: Principal = Depends(clerk),
    st: TicketStore = Depends(store),
) -> dict:
    t = st.change_status(
        ticket_id,
        body.status,
        actor=who.name,
        role=who.role,
        expected_version=body.version,
        note=body.note,
    )
    return ticket_out(t)


@router.post(
    "/{ticket_id}/feedback",
    response_model=TicketOut,
    summary="The enterprise's rating and the institution finally used",
)
def feedback(
    ticket_id: TicketId,
    body: FeedbackIn,
    who: Principal = Depends(clerk),
    st: TicketStore = Depends(store),
) -> dict:
    t = st.add_feedback(ticket_id, actor=who.name, **body.model_dump())
    return ticket_out(t)
