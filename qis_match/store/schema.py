"""Every table of the service database in one metadata: what migrations are compared against.

The tables are declared beside the code that uses them (tickets, demand log); a table whose
module is not imported here would be missing from ``metadata()``, and Alembic's autogenerate
would read it as a table to drop.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    """The declarative metadata with every table module imported."""
    from qis_match.store import demand_log, tickets  # noqa: F401 - imported for their tables

    return tickets.Base.metadata
