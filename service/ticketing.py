"""Tickets from matches: the rules of turning a match and the clerk's choices into a ticket.

The router only translates HTTP. Here: the match a ticket is made from is the one the clerk saw
(remembered by its request id for a while, so creating the ticket does not re-run it and cannot
rank differently after an index reload), every choice must be in the catalog, a choice that is
not the ranking's first needs a reason (改选理由), and each referral keeps a snapshot of the
resource as it was referred.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from qis_match.pipeline import Matcher
from qis_match.referral.models import MatchResult
from qis_match.store.tickets import Choice, Ticket, TicketStore
from qis_match.understanding.redact import redact
from service.demand_recorder import link_request
from service.deps import AppState

SNAPSHOT = (
    "name",
    "type",
    "province",
    "city",
    "district",
    "address",
    "phone",
    "email",
    "turnaround_days",
    "small_business_discount",
    "discount_note",
    "institution_name",
)


class TicketRefused(ValueError):
    """A ticket that cannot be made as asked (the message says why, for the clerk)."""


class MatchMemory:
    """The recent matches by request id, each with a fingerprint of the text and region it
    answered: a ticket for the same request reuses it; anything else is matched again."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self._items: OrderedDict[str, tuple[float, str, MatchResult]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def fingerprint(text: str, region: str | None) -> str:
        return hashlib.sha256(f"{region or ''}\x00{text}".encode()).hexdigest()

    def put(self, request_id: str, text: str, region: str | None, result: MatchResult) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[request_id] = (time.monotonic(), self.fingerprint(text, region), result)
            self._items.move_to_end(request_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, request_id: str | None, text: str, region: str | None) -> MatchResult | None:
        if not request_id:
            return None
        with self._lock:
            item = self._items.get(request_id)
        if item is None or time.monotonic() - item[0] > self.seconds:
            return None
        return item[2] if item[1] == self.fingerprint(text, region) else None


def match_memory(st: AppState) -> MatchMemory:
    mem = st.extra.get("match_memory")
    if mem is None:
        s = st.settings
        mem = st.extra.setdefault(
            "match_memory", MatchMemory(s.match_memory_size, s.match_memory_seconds)
        )
    return mem


def create_ticket(app: AppState, m: Matcher, store: TicketStore, body, who) -> Ticket:
    """A ticket for ``body`` (text, region, choices, request_id) made by ``who``."""
    res = match_memory(app).get(body.request_id, body.text, body.region)
    if res is None:
        res = m.match(body.text, region=body.region)
    by_need = {b.need.category: b for b in res.bundle}
    choices = []
    for c in body.choices:
        found = m.resource(c.institution_id)
        if found is None:
            raise TicketRefused(f"{redact(c.institution_id)!r} is not in the catalog")
        item = by_need.get(c.category)
        ranked = [r.resource_id for r in item.referrals] if item else []
        rank = ranked.index(c.institution_id) + 1 if c.institution_id in ranked else None
        top = ranked[0] if ranked else None
        if rank != 1 and not (c.override_reason and c.override_reason.strip()):
            raise TicketRefused(
                f"{found['name']} is not the first referral for {c.category}: give override_reason (改选理由)"
            )
        snapshot = {k: found.get(k) for k in SNAPSHOT}
        snapshot["details"] = found.get("details", {})
        snapshot["channels"] = found.get("channels")
        if snapshot.get("turnaround_days") is not None:
            snapshot["turnaround_days"] = int(snapshot["turnaround_days"])
        choices.append(
            Choice(
                category=c.category,
                institution_id=c.institution_id,
                institution_name=found["name"],
                sub_service=item.need.sub_service if item else None,
                rank=rank,
                top_institution_id=top,
                override_reason=c.override_reason,
                resource_type=found["resource_type"],
                snapshot=snapshot,
            )
        )
    request_id = link_request(app, res, body.request_id, who.name)  # demand log (issue #8)
    return store.create(
        request_id=request_id,
        request_text=res.text,
        # Done and declined needs are kept with their status, so the slip shows they were heard.
        needs=[n.to_dict() for n in [*res.needs, *res.needs_not_wanted]],
        entities=res.entities,
        choices=choices,
        actor=who.name,
        role=who.role,
        index_version=res.index_version,
        catalog_version=res.catalog_version,
    )
