"""The demand log: what enterprises asked for and how well the catalog could serve it.

One row per recorded match (``demand_requests``) and one per need (``demand_needs``), in the same
database as the tickets (the schema comes from migration 0003). A ticket points back at the
request that produced it (``tickets.request_id``), so outcome and timing join the demand.
Only the matcher's redacted text is stored. Analysts read it through ``qis_match.analytics``.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from qis_match.referral.models import MatchResult
from qis_match.store.tickets import (
    Base,
    RedactedJSON,
    RedactedString,
    RedactedText,
    make_engine,
    migrate,
    utcnow,
)

log = logging.getLogger(__name__)
CHANNELS = ("cli", "api", "console", "ticket", "demo", "import")


class DemandRequest(Base):
    __tablename__ = "demand_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(RedactedText)  # redacted by the matcher, and again here
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(50))
    adcode: Mapped[str | None] = mapped_column(String(12))
    enterprise: Mapped[str | None] = mapped_column(RedactedString(200))
    industry_code: Mapped[str | None] = mapped_column(String(4))
    industry_name: Mapped[str | None] = mapped_column(String(100))
    industry_section: Mapped[str | None] = mapped_column(String(2))
    n_needs: Mapped[int] = mapped_column(Integer)
    abstained: Mapped[bool] = mapped_column(Boolean)
    abstain_reason: Mapped[str | None] = mapped_column(RedactedText)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    review_reasons: Mapped[list] = mapped_column(RedactedJSON)
    top_score: Mapped[float | None] = mapped_column(Float)
    top_locality: Mapped[str | None] = mapped_column(String(20))
    index_version: Mapped[str | None] = mapped_column(String(64))
    catalog_version: Mapped[str | None] = mapped_column(String(64))
    elapsed_ms: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[dict] = mapped_column(RedactedJSON)
    # Poisoned demand (issue 22): a pseudonym of the client, a key of the text, and why the
    # request is not counted (repeat: the same text from the same source within a window;
    # burst: too many from one source within a window), or None.
    source: Mapped[str | None] = mapped_column(String(32))
    text_key: Mapped[str | None] = mapped_column(String(32))
    excluded: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_demand_requests_source_created", "source", "created_at"),
        Index("ix_demand_requests_source_key_created", "source", "text_key", "created_at"),
    )


class DemandNeed(Base):
    """One need of a request and what the ranking could offer for it."""

    __tablename__ = "demand_needs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(
        ForeignKey("demand_requests.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    sub_service: Mapped[str | None] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float)
    resource_type: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(RedactedText)
    flagged: Mapped[bool] = mapped_column(Boolean)
    n_referrals: Mapped[int] = mapped_column(Integer)
    n_same_city: Mapped[int] = mapped_column(Integer)
    n_same_province: Mapped[int] = mapped_column(Integer)
    top_resource_id: Mapped[str | None] = mapped_column(String(64))
    top_institution_id: Mapped[str | None] = mapped_column(String(64))
    top_name: Mapped[str | None] = mapped_column(String(200))
    top_score: Mapped[float | None] = mapped_column(Float)
    top_relevance: Mapped[float | None] = mapped_column(Float)
    top_locality: Mapped[str | None] = mapped_column(String(20))
    top_distance_km: Mapped[float | None] = mapped_column(Float)


@dataclass(frozen=True)
class Exclusion:
    """When a logged request is kept but not counted: the same text from the same source within
    ``repeat_seconds``, or more than ``burst_max`` requests from one source within
    ``burst_seconds``. Requests without a source (CLI, demo, imports) are always counted."""

    repeat_seconds: float = 86400.0
    burst_max: int = 30
    burst_seconds: float = 600.0

    def why(self, conn, req: dict) -> str | None:
        source, at = req.get("source"), req.get("created_at")
        if not source or at is None:
            return None
        repeat, recent = self.lookups(source, req["text_key"], at)
        if conn.execute(repeat).first() is not None:
            return "repeat"
        if conn.execute(recent).scalar_one() >= self.burst_max:
            return "burst"
        return None

    def lookups(self, source: str, key: str, at: datetime):
        """The two queries each logged request runs (the same text from this source in the
        repeat window; this source's requests in the burst window, counted up to burst_max).
        Each reads a short index range, so their cost does not grow with the log or a flood."""
        t = DemandRequest
        repeat = (
            select(t.id)
            .where(
                t.source == source,
                t.text_key == key,
                t.created_at >= at - timedelta(seconds=self.repeat_seconds),
            )
            .limit(1)
        )
        window = (
            select(t.id)
            .where(t.source == source, t.created_at >= at - timedelta(seconds=self.burst_seconds))
            .limit(self.burst_max)
            .subquery()
        )
        return repeat, select(func.count()).select_from(window)


def text_key(text: str) -> str:
    """The same request typed again (case, spaces and punctuation aside) has the same key."""
    core = "".join(ch for ch in text.upper() if ch.isalnum())
    return hashlib.sha256(core.encode("utf-8")).hexdigest()[:32]


def new_request_id() -> str:
    return uuid.uuid4().hex


def rows_from_result(
    result: MatchResult,
    *,
    channel: str,
    request_id: str,
    created_at: datetime,
    actor: str | None = None,
    source: str | None = None,
) -> tuple[dict, list[dict]]:
    """The request row and its need rows for one match (plain dicts, ready for a bulk insert).
    ``source``: a pseudonym of the client (public endpoints), for the exclusion of floods."""
    ent = result.entities or {}
    industry = ent.get("industry") or {}
    top = result.referrals[0] if result.referrals else None
    req = {
        "request_id": request_id,
        "created_at": created_at,
        "channel": channel,
        "actor": actor,
        "text": result.text,
        "province": ent.get("province"),
        "city": ent.get("city"),
        "district": ent.get("district"),
        "adcode": ent.get("adcode"),
        "enterprise": ent.get("enterprise"),
        "industry_code": industry.get("code"),
        "industry_name": industry.get("name"),
        "industry_section": industry.get("section"),
        "n_needs": len(result.needs),
        "abstained": not result.needs,
        "abstain_reason": result.abstain_reason,
        "needs_review": bool(result.needs_review),
        "review_reasons": list(result.review_reasons),
        "top_score": float(top.score) if top else None,
        "top_locality": top.locality if top else None,
        "index_version": result.index_version,
        "catalog_version": result.catalog_version,
        "elapsed_ms": round(float(result.elapsed_ms), 2),
        "entities": _jsonable(ent),
        "source": source,
        "text_key": text_key(result.text or ""),
    }
    needs = []
    for pos, item in enumerate(result.bundle):
        need, refs = item.need, item.referrals
        best = refs[0] if refs else None
        needs.append(
            {
                "position": pos,
                "category": need.category,
                "sub_service": need.sub_service,
                "score": float(need.score),
                "resource_type": need.resource_type,
                "text": need.text,
                # a review reason about this need (its code names the need it is about)
                "flagged": any(r.subject == need.name for r in result.reviews if r.category),
                "n_referrals": len(refs),
                "n_same_city": sum(r.locality == "same_city" for r in refs),
                "n_same_province": sum(r.locality in ("same_city", "same_province") for r in refs),
                "top_resource_id": best.resource_id if best else None,
                "top_institution_id": best.institution_id if best else None,
                "top_name": best.resource_name or best.institution_name if best else None,
                "top_score": float(best.score) if best else None,
                "top_relevance": float(best.relevance) if best else None,
                "top_locality": best.locality if best else None,
                "top_distance_km": (
                    round(float(best.distance_km), 1)
                    if best and best.distance_km is not None
                    else None
                ),
            }
        )
    return req, needs


def _jsonable(d: dict) -> dict:
    import json

    return json.loads(json.dumps(d, ensure_ascii=False, default=str))


class DemandLog:
    """Record matches and read them back as tables. Share the tickets' engine when there is one."""

    def __init__(
        self,
        url: str | None = None,
        engine: Engine | None = None,
        run_migrations: bool = True,
        exclusion: Exclusion | None = None,
    ) -> None:
        self.exclusion = exclusion or Exclusion()
        if engine is None:
            if url is None:
                raise ValueError("DemandLog needs a database URL or an engine")
            if run_migrations:
                migrate(url)
            engine = make_engine(url)
        self.engine = engine

    def record(
        self,
        result: MatchResult,
        *,
        channel: str,
        request_id: str | None = None,
        created_at: datetime | None = None,
        actor: str | None = None,
    ) -> str:
        """Store one match; returns its request id (for the ticket that may follow)."""
        request_id = request_id or new_request_id()
        self.record_many(
            [
                (
                    result,
                    {
                        "channel": channel,
                        "request_id": request_id,
                        "created_at": created_at or utcnow(),
                        "actor": actor,
                    },
                )
            ]
        )
        return request_id

    def record_many(self, items: Iterable[tuple[MatchResult, dict]]) -> int:
        """Store many matches in one transaction (the demo generator, imports)."""
        return self.insert_rows([rows_from_result(res, **meta) for res, meta in items])

    def insert_rows(self, pairs: list[tuple[dict, list[dict]]]) -> int:
        """Store (request row, need rows) pairs of ``rows_from_result`` in one transaction: the
        spool (store.demand_spool) replays rows it kept while the database could not write."""
        if not pairs:
            return 0
        with self.engine.begin() as conn:
            for req, needs in pairs:
                req = {**req, "text_key": req.get("text_key") or text_key(req.get("text") or "")}
                req["excluded"] = req.get("excluded") or self.exclusion.why(conn, req)
                pk = conn.execute(insert(DemandRequest).values(**req)).inserted_primary_key[0]
                if needs:
                    conn.execute(insert(DemandNeed), [{**n, "request_pk": pk} for n in needs])
        return len(pairs)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(DemandRequest)).scalar_one())

    def exists(self, request_id: str) -> bool:
        with self.engine.connect() as conn:
            q = select(DemandRequest.id).where(DemandRequest.request_id == request_id)
            return conn.execute(q).first() is not None

    def find_recent(self, text: str, since: datetime) -> str | None:
        """The latest request with this redacted text since ``since`` (a console match that a
        ticket then re-runs: link the ticket to it instead of counting the demand twice)."""
        q = (
            select(DemandRequest.request_id)
            .where(DemandRequest.text == text, DemandRequest.created_at >= since)
            .order_by(DemandRequest.created_at.desc(), DemandRequest.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return row[0] if row else None

    def clear(self) -> None:
        """Delete every logged request (tests, re-generating the demo year)."""
        with self.engine.begin() as conn:
            conn.execute(delete(DemandNeed))
            conn.execute(delete(DemandRequest))

    def frames(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        counted_only: bool = False,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The log as two DataFrames: requests (one row each) and needs (with ``request_pk``).

        The requests' ``entities`` JSON is left out: the analyses read its flattened columns,
        and parsing it costs more than the rest of the row at a million requests.
        ``counted_only``: without the excluded requests (a flood is never read into memory;
        ``excluded_counts`` says how many there were)."""
        t = DemandRequest.__table__
        rq = _in_period(select(*[c for c in t.c if c.name != "entities"]), since, until)
        if counted_only:
            rq = rq.where(DemandRequest.excluded.is_(None))
        nq = select(DemandNeed.__table__).where(
            DemandNeed.request_pk.in_(select(rq.subquery().c.id))
        )
        with self.engine.connect() as conn:
            requests = pd.read_sql(rq.order_by(DemandRequest.id), conn)
            needs = pd.read_sql(nq.order_by(DemandNeed.id), conn)
        requests["created_at"] = pd.to_datetime(requests["created_at"])
        for col in ("province", "city", "district", "industry_code", "industry_name"):
            # text even when every value is missing (an all-NULL column reads as float)
            requests[col] = requests[col].astype(object)
        for col in ("abstained", "needs_review"):
            requests[col] = requests[col].astype(bool)
        needs["flagged"] = needs["flagged"].astype(bool)
        return requests, needs

    def excluded_counts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> dict[str, int]:
        """How many logged requests of the period are not counted, by reason (repeat, burst)."""
        q = select(DemandRequest.excluded, func.count()).where(DemandRequest.excluded.is_not(None))
        q = _in_period(q, since, until).group_by(DemandRequest.excluded)
        with self.engine.connect() as conn:
            return {str(k): int(n) for k, n in conn.execute(q)}


def _in_period(q, since: datetime | None, until: datetime | None):
    if since is not None:
        q = q.where(DemandRequest.created_at >= since)
    if until is not None:
        q = q.where(DemandRequest.created_at < until)
    return q
