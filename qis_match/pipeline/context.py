"""The one typed context a request carries through the stages, and the stage contract.

Like a Haystack component or a scikit-learn transformer, every stage has one call shape:
``stage(ctx) -> ctx``. A stage reads what earlier stages put in the context and adds its own
part; it receives its components and tunables when it is built, never the settings object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from qis_match.catalog.kinds import RankContext
from qis_match.ranking.ranker import Filters
from qis_match.referral.models import BundleItem, Referral
from qis_match.referral.reviews import Review
from qis_match.retrieval.hybrid import Candidates
from qis_match.understanding.needs import Need
from qis_match.understanding.query import Query
from qis_match.understanding.routing import Route


@dataclass
class MatchContext:
    """One request: what was asked, and what each stage found."""

    # --- the request
    text: str
    region: str | None = None
    top_k: int = 10
    filters: Filters | None = None
    today: date | None = None
    # --- read (text → query, entities)
    query: Query | None = None
    entities: dict = field(default_factory=dict)
    rank: RankContext = field(default_factory=RankContext)
    # --- understood (needs and their status, route, the query vector)
    needs: list[Need] = field(default_factory=list)
    not_wanted: list[Need] = field(default_factory=list)
    route: Route | None = None
    signals: dict = field(default_factory=dict)
    qvec: np.ndarray | None = None
    # --- retrieved (per need, aligned with ``needs``), ranked and referred
    candidates: list[Candidates] = field(default_factory=list)
    bundle: list[BundleItem] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)


class Stage(Protocol):
    """A step of the pipeline: reads and extends the context."""

    name: str

    def __call__(self, ctx: MatchContext) -> MatchContext: ...
