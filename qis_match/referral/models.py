"""What a match returns: the ``--json`` contract that the service, analytics and eval rely on.

``MatchResult.to_dict()`` is the contract. Keys are only ever added, never renamed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qis_match.ranking.models import Evidence, Referral
from qis_match.referral.reviews import Review
from qis_match.understanding.needs import Need

__all__ = ["BundleItem", "Evidence", "MatchResult", "Referral"]


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
    # Why it needs review, as codes (``review_reasons`` is their Chinese text).
    reviews: list[Review] = field(default_factory=list)

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
            "reviews": [r.to_dict() for r in self.reviews],
        }
