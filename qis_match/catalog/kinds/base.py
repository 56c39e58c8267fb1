"""The contract of a resource kind: everything the engine needs to know about one kind of thing
it can refer an enterprise to (an institution, an expert, shared equipment, a policy item …).

A kind is a plug-in. One module declares its catalog table and validation, how its rows read to
the retrievers (lines), how they join the common resources table, what changes a resource's
fit for a request (ranking features, locality, eligibility), the words that call for it, and
how it is shown (its JSON card and labels). It registers itself
(:func:`qis_match.catalog.kinds.register`); the loader, build, update, ranker, pipeline, service
and pages iterate over the registry and never name a kind.

The shape follows scikit-learn's estimators: a small base class with defaults, overridden where
a kind differs; no method needs the whole settings object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import yaml

from qis_match.catalog.cells import shape_issue
from qis_match.catalog.schema import CatalogIssue
from qis_match.geo import Gazetteer, Place
from qis_match.settings import DATA_DIR
from qis_match.taxonomy import Taxonomy

if TYPE_CHECKING:
    from qis_match.catalog.loader import Catalog

# One line of any kind, as the retrievers read it (``capability_text``) and evidence shows it.
LINE_COLUMNS = [
    "line_id",
    "resource_id",
    "resource_type",
    "category",
    "sub_service",
    "object",
    "item",
    "standard",
    "standard_title",
    "measuring_range",
    "accuracy",
    "description",
]

# One resource of any kind: what ranking, referrals and pages read. Kind-specific facts go in
# ``details`` (JSON), which only the kind itself interprets.
RESOURCE_COLUMNS = [
    "resource_id",
    "resource_type",
    "name",
    "type",
    "parent_id",
    "adcode",
    "province",
    "city",
    "district",
    "address",
    "longitude",
    "latitude",
    "service_area",
    "accreditations",
    "channels",
    "small_business_discount",
    "discount_note",
    "turnaround_days",
    "phone",
    "email",
    "institution_id",  # the institution behind it: itself, an owner, none (an expert)
    "institution_name",
    "availability",
    "remote",
    "industries",
    "price",
    "price_unit",
    "details",  # JSON: the kind's own facts, shown with a referral
]


@dataclass(frozen=True)
class TableContext:
    """What a kind's table is validated against: reference data and the tables read before it."""

    taxonomy: Taxonomy
    geo: Gazetteer
    institutions: pd.DataFrame  # the accepted institutions (owners of other kinds' rows)
    known_bad: frozenset[str] = frozenset()  # institution ids that were rejected
    elsewhere: dict[str, str] = field(default_factory=dict)  # ids of earlier tables → where
    industries: frozenset[str] = frozenset()  # GB/T 4754-2017 division codes


@dataclass(frozen=True)
class RankContext:
    """What a request says that changes a resource's fit or eligibility."""

    industry: str | None = None  # GB/T 4754 division code of the enterprise
    region: Place | None = None  # where the enterprise is
    today: date | None = None  # the day of the request (deadlines)


class ResourceKind:
    """Base class of every kind: the defaults are those of an ordinary resource."""

    name: ClassVar[str]  # the ``resource_type`` value
    label: ClassVar[str]  # how a clerk names it: 机构, 专家 …
    table: ClassVar[str]  # the catalog table (file stem and XLSX sheet)
    id_column: ClassVar[str]
    columns: ClassVar[dict[str, bool]]  # column → required
    derived_columns: ClassVar[tuple[str, ...]] = ()  # added by validation
    required: ClassVar[bool] = False  # a catalog without this table is an error
    # Nearness is worth this multiple of ``Settings.locality_weight`` (samples travel: more).
    locality_weight: ClassVar[float] = 1.0
    # Resources that work remotely are never "far" (locality score at least this), or None.
    remote_locality_floor: ClassVar[float | None] = None
    # A need of this kind with nothing of it in its category looks across categories.
    across_categories: ClassVar[bool] = True

    # --- catalog
    def validate(
        self, df: pd.DataFrame, file: str, ctx: TableContext
    ) -> tuple[pd.DataFrame, list[CatalogIssue]]:
        """The good rows (normalised) and one issue per bad cell (file, row, column): a row
        with any issue is left out, every other row is kept."""
        issues: list[CatalogIssue] = []
        rows: list[dict] = []
        first: dict[str, int] = {}  # id → the row it first appeared on (duplicates)
        table = self.table_state(ctx)
        for r in df.to_dict("records"):
            if shape := shape_issue(r, file):
                issues.append(shape)
                continue
            rec, bad = self.check_row(r, file, first, ctx, table)
            if bad:
                issues.extend(bad)
                continue
            rows.append(rec)
        return pd.DataFrame(rows, columns=[*self.columns, *self.derived_columns]), issues

    def table_state(self, ctx: TableContext) -> Any:
        """What checking every row of one table needs, computed once (e.g. an owner lookup)."""
        return None

    def check_row(
        self, r: dict, file: str, first: dict[str, int], ctx: TableContext, table: Any
    ) -> tuple[dict, list[CatalogIssue]]:
        """One row, normalised, and its issues (``first``: ids seen so far in this file)."""
        raise NotImplementedError

    def empty(self) -> pd.DataFrame:
        return pd.DataFrame(columns=[*self.columns, *self.derived_columns])

    def owned_by(self, table: pd.DataFrame, institution_ids: set[str]) -> set[str]:
        """Ids of rows that go when these institutions are removed (rows they own)."""
        return set()

    # --- index
    def lines(self, catalog: Catalog, taxonomy: Taxonomy) -> pd.DataFrame:
        """The kind's rows as lines (``LINE_COLUMNS``): what retrieval matches."""
        raise NotImplementedError

    def resources(self, catalog: Catalog) -> pd.DataFrame:
        """The kind's rows as resources (any subset of ``RESOURCE_COLUMNS``; the rest is blank)."""
        raise NotImplementedError

    # --- understanding
    def calls_for(self, upper_text: str) -> bool:
        """Whether the words of a request (upper-cased) ask for this kind (租用仪器, 请专家)."""
        return False

    # --- ranking (``rows``: this kind's rows of the resources table, in the ranker's order)
    def prepare(self, rows: pd.DataFrame) -> Any:
        """What :meth:`fit` and :meth:`eligible` read, computed once per index version."""
        return None

    def fit(self, state: Any, idx: np.ndarray, ctx: RankContext) -> np.ndarray:
        """A multiplier of relevance for the rows ``idx`` (positions among this kind's rows)."""
        return np.ones(len(idx))

    def eligible(self, state: Any, idx: np.ndarray, ctx: RankContext) -> np.ndarray:
        """Which of the rows ``idx`` may be referred at all for this request."""
        return np.ones(len(idx), dtype=bool)

    def referral_details(self, details: dict, state: Any, i: int, ctx: RankContext) -> dict:
        """The ``details`` a referral shows, given the request (e.g. an industry match)."""
        return details

    # --- presentation (text only: the pages place it and know no kind)
    role: ClassVar[str] = ""  # the slip's row header for the referred resource; default 承办{label}
    detail_link: ClassVar[str] = ""  # link text to its page; default {label}详情
    lines_title: ClassVar[str] = "条目"  # heading of its lines on its page
    line_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("object", "项目"),
        ("sub_service", "子类"),
        ("standard", "依据标准"),
        ("range", "范围/等级"),
        ("description", "说明"),
    )
    checklist: ClassVar[tuple[str, ...]] = ()  # what to bring; empty: the category's list

    def card(self, item: dict, context: str) -> dict:
        """What one resource shows (``item``: a referral, search result, resource or ticket
        snapshot as JSON) in a ``context``: list (match referrals), search, detail (its page)
        or slip. Fields: subtitle, facts, place, badges, rows, name_note, slip_rows,
        checklist_extra (see ``service/static/js/render.js``)."""
        return {}

    def describe(self) -> dict:
        """The kind for pages and API clients (``GET /api/v1/kinds``)."""
        return {
            "name": self.name,
            "label": self.label,
            "table": self.table,
            "role": self.role or f"承办{self.label}",
            "detail_link": self.detail_link or f"{self.label}详情",
            "lines_title": self.lines_title,
            "line_columns": [{"key": k, "label": v} for k, v in self.line_columns],
            "checklist": list(self.checklist),
        }


def line_frame(rows: list[dict]) -> pd.DataFrame:
    """Lines as a table of ``LINE_COLUMNS`` (a column a line leaves out is empty text)."""
    blank = dict.fromkeys(LINE_COLUMNS, "")
    return pd.DataFrame([{**blank, **r} for r in rows], columns=LINE_COLUMNS, dtype=object)


def alternation(words: list[str]) -> str:
    """A regex alternative of words (upper-cased, longest first, escaped)."""
    return "|".join(re.escape(str(w).upper()) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def resource_words() -> dict[str, list[str]]:
    """The word lists that call for a kind (``resource_signals`` of data/understanding/signals.yaml)."""
    with open(DATA_DIR / "understanding" / "signals.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh).get("resource_signals") or {}
