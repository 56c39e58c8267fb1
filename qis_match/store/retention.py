"""Personal data over time (issue 22): contact data of closed tickets is not kept for ever, and one
enterprise's can be erased on request.

* ``apply_retention`` — tickets closed (办结, then 已回访) more than N days ago lose their contact
  fields (the enterprise on the ticket and in its entities) and every free text that still holds
  contact data (the enterprise's name, or a phone, e-mail, ID or person ``redact`` finds: rows
  written before issue 23's redaction hold them): each becomes ``MARKER``. The ticket, its
  status history, referrals, ratings and needs' categories stay, so the figures do not change.
  The demand-log row the ticket came from (same ``request_id``) is treated the same way.
* ``erase_enterprise`` — every ticket and demand-log row of one enterprise (its name in the
  enterprise field or in the request text) loses its enterprise fields and *all* its free text,
  whatever it holds: what cannot be told apart from the enterprise's own words goes.

Both run in one transaction (SQLite and PostgreSQL alike) and write through the ORM columns, so the
store's redaction applies to what is left. ``dry_run`` rolls back and reports what would change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Text, func, or_, select, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from qis_match.store.demand_log import DemandNeed, DemandRequest
from qis_match.store.tickets import Ticket, TicketEvent, utcnow
from qis_match.understanding.redact import redact

log = logging.getLogger("qis_match.store")
MARKER = "[已删除]"
CLOSED_STATUSES = ("办结", "已回访")
# keys of a ticket's or demand row's entities that name the enterprise or a contact
CONTACT_KEYS = ("enterprise", "contact", "contact_name", "phone", "email", "mobile")


@dataclass
class ScrubReport:
    tickets: int = 0
    demand_rows: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    dry_run: bool = False
    cutoff: str | None = None

    def to_dict(self) -> dict:
        return {
            "tickets_changed": self.tickets,
            "demand_rows_changed": self.demand_rows,
            "ticket_ids": self.ticket_ids,
            "dry_run": self.dry_run,
            **({"closed_before": self.cutoff} if self.cutoff else {}),
        }


class _Scrubber:
    """Replaces contact data by ``MARKER``: in contact fields always; in free text when it holds
    one of ``names`` or personal data (``everything``: any free text)."""

    def __init__(self, names: set[str], everything: bool) -> None:
        self.names = {n for n in names if n and n != MARKER}
        self.everything = everything

    def text(self, value: str | None) -> str | None:
        if not value or value == MARKER:
            return value
        if self.everything or any(n in value for n in self.names) or redact(value) != value:
            return MARKER
        return value

    def json(self, value, key: str | None = None):
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v, key) for v in value]
        if isinstance(value, str):
            if key in CONTACT_KEYS:
                return MARKER if value else value
            return self.text_kept(value)  # a clause with contact data, not a category code
        return value

    def text_kept(self, value: str) -> str:
        if any(n in value for n in self.names) or redact(value) != value:
            return MARKER
        return value


def _plain(column):
    """``column`` compared as plain text: a LIKE pattern is not a text to redact."""
    return type_coerce(column, Text)


def _set(obj, attr: str, new) -> bool:
    if getattr(obj, attr) == new:
        return False
    setattr(obj, attr, new)
    return True


def _scrub_ticket(t: Ticket, sc: _Scrubber) -> bool:
    changed = _set(t, "enterprise", MARKER if t.enterprise else t.enterprise)
    changed |= _set(t, "request_text", sc.text(t.request_text))
    changed |= _set(t, "entities", sc.json(t.entities or {}) if t.entities else t.entities)
    changed |= _set(t, "needs", sc.json(t.needs) if t.needs else t.needs)
    for r in t.referrals:
        changed |= _set(r, "override_reason", sc.text(r.override_reason))
    for e in t.events:
        changed |= _set(e, "note", sc.text(e.note))
    for f in t.feedback:
        changed |= _set(f, "comment", sc.text(f.comment))
        changed |= _set(f, "override_reason", sc.text(f.override_reason))
        changed |= _set(f, "institution_used", sc.text_kept(f.institution_used or "") or None)
    return changed


def _scrub_demand(s: Session, req: DemandRequest, sc: _Scrubber) -> bool:
    changed = _set(req, "enterprise", MARKER if req.enterprise else req.enterprise)
    changed |= _set(req, "text", sc.text(req.text))
    changed |= _set(req, "abstain_reason", sc.text(req.abstain_reason))
    changed |= _set(req, "entities", sc.json(req.entities) if req.entities else req.entities)
    changed |= _set(
        req,
        "review_reasons",
        sc.json(req.review_reasons) if req.review_reasons else req.review_reasons,
    )
    for need in s.scalars(select(DemandNeed).where(DemandNeed.request_pk == req.id)):
        changed |= _set(need, "text", sc.text(need.text))
    return changed


def _tickets(s: Session, where) -> list[Ticket]:
    return list(
        s.scalars(
            select(Ticket)
            .where(where)
            .order_by(Ticket.id)
            .options(
                selectinload(Ticket.referrals),
                selectinload(Ticket.events),
                selectinload(Ticket.feedback),
            )
        )
    )


def _finish(s: Session, report: ScrubReport) -> ScrubReport:
    if report.dry_run:
        s.rollback()
    else:
        s.commit()
    return report


def apply_retention(
    engine: Engine, days: int, now: datetime | None = None, dry_run: bool = False
) -> ScrubReport:
    """Redact the contact data of tickets closed more than ``days`` ago (``now``: naive UTC)."""
    if days < 0:
        raise ValueError("retention days must be 0 or more")
    cutoff = (now or utcnow()) - timedelta(days=days)
    report = ScrubReport(dry_run=dry_run, cutoff=cutoff.isoformat(timespec="seconds"))
    closed = (
        select(TicketEvent.ticket_id)
        .where(TicketEvent.to_status.in_(CLOSED_STATUSES))
        .group_by(TicketEvent.ticket_id)
        .having(func.min(TicketEvent.at) < cutoff)
    )
    with Session(engine) as s:
        for t in _tickets(s, Ticket.id.in_(closed)):
            sc = _Scrubber({t.enterprise, (t.entities or {}).get("enterprise")}, everything=False)
            demand = _linked_demand(s, [t])
            if _scrub_ticket(t, sc):
                report.tickets += 1
                report.ticket_ids.append(t.id)
            report.demand_rows += sum(_scrub_demand(s, d, sc) for d in demand)
        log.info("retention (%d days): %d tickets changed", days, report.tickets)
        return _finish(s, report)


def _linked_demand(s: Session, tickets: list[Ticket]) -> list[DemandRequest]:
    ids = [t.request_id for t in tickets if t.request_id]
    if not ids:
        return []
    return list(s.scalars(select(DemandRequest).where(DemandRequest.request_id.in_(ids))))


def erase_enterprise(engine: Engine, enterprise: str, dry_run: bool = False) -> ScrubReport:
    """Erase one enterprise's contact data and free text from tickets (with their history,
    referrals and feedback) and the demand log; ``enterprise`` is its name (or any identifier
    of it, e.g. its credit code), found in the enterprise fields or in the request texts."""
    name = enterprise.strip()
    if len(name) < 2 or name == MARKER:
        raise ValueError("name the enterprise (at least 2 characters)")
    report = ScrubReport(dry_run=dry_run)
    with Session(engine) as s:
        tickets = _tickets(
            s,
            or_(
                Ticket.enterprise == name,
                _plain(Ticket.request_text).contains(name, autoescape=True),
            ),
        )
        names = {name} | {t.enterprise for t in tickets if t.enterprise}
        sc = _Scrubber(names, everything=True)
        demand = {d.id: d for d in _linked_demand(s, tickets)}
        found = s.scalars(
            select(DemandRequest).where(
                or_(
                    DemandRequest.enterprise == name,
                    _plain(DemandRequest.text).contains(name, autoescape=True),
                )
            )
        )
        demand.update({d.id: d for d in found})
        for t in tickets:
            if _scrub_ticket(t, sc):
                report.tickets += 1
                report.ticket_ids.append(t.id)
        report.demand_rows = sum(_scrub_demand(s, d, sc) for d in demand.values())
        log.info("erase: %d tickets, %d demand rows changed", report.tickets, report.demand_rows)
        return _finish(s, report)
