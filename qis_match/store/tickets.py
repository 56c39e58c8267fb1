"""Tickets: a match turned into a tracked referral (一个窗口受理, 限时办结, 全程跟踪).

SQLite by default (no set-up), PostgreSQL when ``QIS_DATABASE_URL`` names one; the schema is
created and upgraded by Alembic migrations (``qis_match/store/migrations``), never by
``create_all``. Status changes are forward-only, timestamped and attributed, and guarded by a
version number so that two clerks updating one ticket at once cannot overwrite each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

from qis_match.settings import DEFAULT_TIME_LIMIT_DAYS
from qis_match.understanding.redact import redact

STATUSES: tuple[str, ...] = ("受理", "已转介", "机构已受理", "办结", "已回访")
OPEN_STATUSES = STATUSES[:3]


def utcnow() -> datetime:
    """Naive UTC: stored as is by SQLite and PostgreSQL alike, so comparisons never mix zones."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- personal data never reaches the database (issue 23). Every free-text column is one of these
# types: SQLAlchemy redacts the value whenever it is bound into a statement (ORM objects, Core
# inserts and updates, the demo generator, imports, WHERE comparisons alike), so no caller can
# store text unredacted and lookups by text compare redacted with redacted. ``redact`` is a
# fixed point, so text that is already redacted is stored unchanged.


class RedactedText(TypeDecorator):
    """Free text (request, override reason, status note, feedback comment), stored redacted."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return redact(value) if isinstance(value, str) else value


class RedactedString(TypeDecorator):
    """A short free-text field (``String(n)``), stored redacted."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return redact(value) if isinstance(value, str) else value


def redact_strings(value):
    """``value`` (JSON: dicts, lists, strings, numbers) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_strings(v) for v in value]
    return value


class RedactedJSON(TypeDecorator):
    """JSON whose strings (need clauses, extracted entities, review reasons) are stored redacted."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return redact_strings(value)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True, default=STATUSES[0])
    deadline: Mapped[datetime] = mapped_column(DateTime(), index=True)
    request_text: Mapped[str] = mapped_column(RedactedText)
    enterprise: Mapped[str | None] = mapped_column(RedactedString(200))
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    adcode: Mapped[str | None] = mapped_column(String(12))
    needs: Mapped[list] = mapped_column(RedactedJSON)
    entities: Mapped[dict] = mapped_column(RedactedJSON)
    index_version: Mapped[str | None] = mapped_column(String(64))
    catalog_version: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The demand-log request that produced the ticket (migration 0003); None for older tickets.
    request_id: Mapped[str | None] = mapped_column(String(32), index=True)
    referrals: Mapped[list[TicketReferral]] = relationship(
        back_populates="ticket", order_by="TicketReferral.id"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )
    feedback: Mapped[list[Feedback]] = relationship(back_populates="ticket", order_by="Feedback.id")


class TicketReferral(Base):
    """An institution the clerk chose for one need, and what the ranking had proposed."""

    __tablename__ = "ticket_referrals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    sub_service: Mapped[str | None] = mapped_column(String(60))
    institution_id: Mapped[str] = mapped_column(String(64), index=True)
    institution_name: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int | None] = mapped_column(
        Integer
    )  # its rank in the match; None if added by hand
    top_institution_id: Mapped[str | None] = mapped_column(String(64))  # what the ranking put first
    override_reason: Mapped[str | None] = mapped_column(RedactedText)
    resource_type: Mapped[str] = mapped_column(
        String(20), default="institution"
    )  # the referred resource's kind (qis_match.catalog.kinds)
    snapshot: Mapped[dict | None] = mapped_column(
        JSON
    )  # contact details as handed to the enterprise
    ticket: Mapped[Ticket] = relationship(back_populates="referrals")


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(RedactedText)
    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Feedback(Base):
    """The enterprise's rating, the institution finally used and, if it differs from the ranking,
    why — kept so that ranking can learn from it."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    rating: Mapped[int] = mapped_column(Integer)
    institution_used: Mapped[str | None] = mapped_column(RedactedString(64))  # free text allowed
    override_reason: Mapped[str | None] = mapped_column(RedactedText)
    comment: Mapped[str | None] = mapped_column(RedactedText)
    ticket: Mapped[Ticket] = relationship(back_populates="feedback")


# --- errors


class TicketError(Exception):
    """Base: a ticket operation that cannot be done as asked."""


class TicketNotFound(TicketError):
    pass


class InvalidTransition(TicketError):
    pass


class VersionConflict(TicketError):
    pass


# --- engine and migrations


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def migrate(url: str) -> None:
    """Bring the database schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


# --- repository


@dataclass
class Choice:
    """The clerk's pick for one need."""

    category: str
    institution_id: str
    institution_name: str
    sub_service: str | None = None
    rank: int | None = None
    top_institution_id: str | None = None
    override_reason: str | None = None
    resource_type: str = "institution"
    snapshot: dict | None = None


class TicketStore:
    def __init__(
        self, url: str, time_limits: dict[str, int] | None = None, run_migrations: bool = True
    ) -> None:
        self.url = url
        if run_migrations:
            migrate(url)
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.time_limits = {**DEFAULT_TIME_LIMIT_DAYS, **(time_limits or {})}

    def deadline_for(self, categories: list[str], start: datetime) -> datetime:
        days = max((self.time_limits.get(c, 30) for c in categories), default=30)
        return start + timedelta(days=days)

    def _load(self, s: Session, ticket_id: int) -> Ticket:
        t = s.execute(
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .options(
                selectinload(Ticket.referrals),
                selectinload(Ticket.events),
                selectinload(Ticket.feedback),
            )
        ).scalar_one_or_none()
        if t is None:
            raise TicketNotFound(f"ticket {ticket_id} not found")
        return t

    def create(
        self,
        *,
        request_text: str,
        needs: list[dict],
        entities: dict,
        choices: list[Choice],
        actor: str,
        role: str,
        index_version: str | None = None,
        catalog_version: str | None = None,
        now: datetime | None = None,
        request_id: str | None = None,
    ) -> Ticket:
        now = now or utcnow()
        wanted = [n for n in needs if n.get("status", "wanted") == "wanted"]
        categories = sorted({c.category for c in choices} | {n["category"] for n in wanted})
        with self.sessions.begin() as s:
            t = Ticket(
                created_at=now,
                updated_at=now,
                created_by=actor,
                status=STATUSES[0],
                deadline=self.deadline_for(categories, now),
                request_text=request_text,
                enterprise=entities.get("enterprise"),
                province=entities.get("province"),
                city=entities.get("city"),
                adcode=entities.get("adcode"),
                needs=needs,
                entities=json.loads(json.dumps(entities, ensure_ascii=False, default=str)),
                index_version=index_version,
                catalog_version=catalog_version,
                version=1,
                request_id=request_id,
            )
            s.add(t)
            s.flush()
            for c in choices:
                s.add(TicketReferral(ticket_id=t.id, **vars(c)))
            s.add(
                TicketEvent(
                    ticket_id=t.id,
                    at=now,
                    actor=actor,
                    role=role,
                    from_status=None,
                    to_status=STATUSES[0],
                )
            )
            tid = t.id
        return self.get(tid)

    def get(self, ticket_id: int) -> Ticket:
        with self.sessions() as s:
            return self._load(s, ticket_id)

    def list(
        self,
        status: str | None = None,
        overdue_at: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Ticket]:
        q = (
            select(Ticket)
            .options(selectinload(Ticket.referrals))
            .order_by(Ticket.deadline, Ticket.id)
        )
        if status:
            q = q.where(Ticket.status == status)
        if overdue_at is not None:
            q = q.where(Ticket.status.in_(OPEN_STATUSES), Ticket.deadline < overdue_at)
        with self.sessions() as s:
            return list(s.execute(q.limit(limit).offset(offset)).scalars())

    def counts_by_status(self) -> dict[str, int]:
        with self.sessions() as s:
            rows = s.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
        return {st: dict(rows).get(st, 0) for st in STATUSES}

    def change_status(
        self,
        ticket_id: int,
        to_status: str,
        *,
        actor: str,
        role: str,
        expected_version: int | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> Ticket:
        """Move a ticket one step forward. ``expected_version`` (optimistic locking) makes a
        concurrent change fail with VersionConflict instead of being silently overwritten."""
        if to_status not in STATUSES:
            raise InvalidTransition(
                f"unknown status {to_status!r}; statuses are {' → '.join(STATUSES)}"
            )
        now = now or utcnow()
        with self.sessions.begin() as s:
            t = self._load(s, ticket_id)
            if expected_version is not None and t.version != expected_version:
                raise VersionConflict(
                    f"ticket {ticket_id} was changed meanwhile (version {t.version}, expected {expected_version})"
                )
            current = STATUSES.index(t.status)
            if STATUSES.index(to_status) != current + 1:
                nxt = STATUSES[current + 1] if current + 1 < len(STATUSES) else None
                raise InvalidTransition(
                    f"ticket {ticket_id} is {t.status}; the next status is {nxt}"
                    if nxt
                    else f"ticket {ticket_id} is closed ({t.status})"
                )
            # Compare-and-swap on (status, version): the database decides who wins a race. The
            # ORM update synchronises ``t`` in the session, so the old status is read first.
            from_status, version = t.status, t.version
            res = s.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id, Ticket.version == version, Ticket.status == from_status
                )
                .values(status=to_status, version=version + 1, updated_at=now)
            )
            if res.rowcount != 1:
                raise VersionConflict(f"ticket {ticket_id} was changed meanwhile; reload and retry")
            s.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    at=now,
                    actor=actor,
                    role=role,
                    from_status=from_status,
                    to_status=to_status,
                    note=note,
                )
            )
        return self.get(ticket_id)

    def add_feedback(
        self,
        ticket_id: int,
        *,
        actor: str,
        rating: int,
        institution_used: str | None = None,
        override_reason: str | None = None,
        comment: str | None = None,
    ) -> Ticket:
        if not 1 <= int(rating) <= 5:
            raise TicketError("rating must be between 1 and 5")
        with self.sessions.begin() as s:
            self._load(s, ticket_id)
            s.add(
                Feedback(
                    ticket_id=ticket_id,
                    actor=actor,
                    rating=int(rating),
                    institution_used=institution_used,
                    override_reason=override_reason,
                    comment=comment,
                )
            )
        return self.get(ticket_id)

    def ping(self) -> None:
        with self.engine.connect() as c:
            c.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self.engine.dispose()
