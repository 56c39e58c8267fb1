"""One ranked resource and its evidence: what ranking produces, and a match's referrals are.

The ``--json`` contract (``Referral.to_dict``) is re-exported by :mod:`qis_match.referral.models`;
keys are only ever added, never renamed or removed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qis_match.catalog.kinds import card_of


@dataclass
class Evidence:
    """One capability line that made the referral, and the request words it shares."""

    line_id: str
    text: str
    sub_service: str
    standard: str
    score: float
    matched_terms: list[str]


@dataclass
class Referral:
    """One referred resource. ``institution_id``/``institution_name`` name the institution behind
    it: the institution itself, the owner of a resource it owns, none (null) for an expert;
    ``resource_id``/``resource_name`` always name the referred resource itself."""

    rank: int
    institution_id: str | None
    institution_name: str | None
    category: str
    sub_service: str
    score: float
    relevance: float
    locality: str | None  # same_city | same_province | national | elsewhere | None (no region)
    distance_km: float | None
    province: str
    city: str
    district: str
    address: str
    phone: str
    institution_type: str
    channels: list[str]
    small_business_discount: bool
    turnaround_days: int | None
    evidence: list[Evidence]
    resource_type: str = "institution"  # its kind (qis_match.catalog.kinds)
    covers: list[str] = field(default_factory=list)  # the request's needs (categories) it can serve
    resource_id: str = ""
    resource_name: str = ""
    details: dict = field(default_factory=dict)  # the kind's own facts (title, model, price …)
    card: dict = field(default_factory=dict)  # how it reads on a page (ResourceKind.card)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(self.score, 4)
        d["relevance"] = round(self.relevance, 4)
        if self.distance_km is not None:
            d["distance_km"] = round(self.distance_km, 1)
        for e in d["evidence"]:
            e["score"] = round(e["score"], 4)
        d["card"] = card_of(d, "list")
        return d
