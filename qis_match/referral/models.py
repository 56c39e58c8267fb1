"""What a match returns: the ``--json`` contract that the service, analytics and eval rely on.

``MatchResult.to_dict()`` is the contract. Keys are only ever added, never renamed or removed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qis_match.understanding.needs import Need


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
    it: the institution itself, the owner of a shared instrument, none (null) for an expert;
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
    resource_type: str = "institution"  # institution | expert | instrument
    covers: list[str] = field(default_factory=list)  # the request's needs (categories) it can serve
    resource_id: str = ""
    resource_name: str = ""
    details: dict = field(
        default_factory=dict
    )  # expert: title, field, availability …; instrument: model, price …

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(self.score, 4)
        d["relevance"] = round(self.relevance, 4)
        if self.distance_km is not None:
            d["distance_km"] = round(self.distance_km, 1)
        for e in d["evidence"]:
            e["score"] = round(e["score"], 4)
        return d


@dataclass
class BundleItem:
    """One need of a multi-part request (一揽子服务) with its own referrals."""

    need: Need
    referrals: list[Referral]

    def to_dict(self) -> dict:
        return {**self.need.to_dict(), "referrals": [r.to_dict() for r in self.referrals]}


@dataclass
class MatchResult:
    text: str  # normalised, personal data redacted
    needs: list[Need]
    referrals: list[Referral]  # overall ranking across needs
    entities: dict
    signals: dict = field(default_factory=dict)
    bundle: list[BundleItem] = field(default_factory=list)
    needs_review: bool = False
    review_reasons: list[str] = field(default_factory=list)
    abstain_reason: str | None = None
    index_version: str = ""
    catalog_version: str = ""
    encoder: str = ""
    elapsed_ms: float = 0.0
    # Needs the text names but does not want (already done, or declined): shown, never referred.
    needs_not_wanted: list[Need] = field(default_factory=list)
    # 首问负责: where the request (abstained) or its non-QI part (served) belongs.
    route: dict | None = None

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "needs": [n.to_dict() for n in self.needs],
            "referrals": [r.to_dict() for r in self.referrals],
            "bundle": [b.to_dict() for b in self.bundle],
            "entities": self.entities,
            "needs_review": self.needs_review,
            "review_reasons": self.review_reasons,
            "abstain_reason": self.abstain_reason,
            "signals": self.signals,
            "index_version": self.index_version,
            "catalog_version": self.catalog_version,
            "encoder": self.encoder,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "needs_not_wanted": [n.to_dict() for n in self.needs_not_wanted],
            "route": self.route,
        }
