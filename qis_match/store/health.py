"""Whether the database can take a write, without writing anything.

A ``SELECT 1`` succeeds on a database that is read-only (a replica, ``default_transaction_read_only``,
a file opened read-only, SQLite's ``query_only``), and then every ticket and demand row fails while
``/health`` says "ok". A ``DELETE`` that matches no row needs the write lock but changes nothing, and
it is rolled back. Not covered: a full disk (nothing is written, so nothing fails).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

# Every schema has it: migrations (qis_match/store/migrations) create it first.
_PROBE = "DELETE FROM alembic_version WHERE 1 = 0"


def database_state(engine: Engine) -> Literal["ok", "read-only", "unavailable"]:
    """ "ok" when the database answers and would take a write, "read-only" when it answers but
    refuses writes, "unavailable" when it does not answer."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        return "unavailable"
    try:
        with engine.connect() as conn, conn.begin() as tx:
            conn.exec_driver_sql(_PROBE)
            tx.rollback()
    except SQLAlchemyError:
        return "read-only"
    return "ok"
