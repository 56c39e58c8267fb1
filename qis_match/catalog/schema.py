"""What every catalog table shares: the issue reported for a bad cell, and the value lists.

Each kind's own columns are declared by the kind (:mod:`qis_match.catalog.kinds`). A line is
one thing a resource can do for an enterprise (for a lab, a product × test item × method
standard); lines are what retrieval matches, resources what ranking refers to.
"""

from __future__ import annotations

from dataclasses import dataclass

AVAILABILITY = ("available", "limited", "unavailable")
MODES = ("onsite", "remote")
PRICE_UNITS = ("hour", "sample")
SERVICE_AREAS = ("local", "province", "national")
CHANNELS = ("online", "onsite")
LIST_SEP = "|"


@dataclass(frozen=True)
class CatalogIssue:
    """One problem in one cell (or row) of a catalog file, for the person who maintains it."""

    file: str
    row: int  # spreadsheet row number: the header is row 1
    column: str
    message: str
    severity: str = "error"  # error: row rejected | warning: row kept

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {self.column!r}: {self.message}"
