"""Why a match needs a person's review: structured codes, rendered in Chinese at the edge.

The pipeline records a :class:`Review` (a code and what it is about); the clerk reads its
Chinese text (``MatchResult.review_reasons``, unchanged), and analytics reads the codes
(``MatchResult.reviews``) instead of parsing the text back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LONG_REQUEST = "long_request"  # only the first part of a long request was analysed
REGION_AMBIGUOUS = "region_ambiguous"  # the region named several places
UNCERTAIN_NEED = "uncertain_need"  # a need the model is not sure of
NO_PROVIDER = "no_provider"  # nothing of the need's kind can serve it
WEAK_MATCH = "weak_match"  # the best capability for a need is not very similar

CODES = (LONG_REQUEST, REGION_AMBIGUOUS, UNCERTAIN_NEED, NO_PROVIDER, WEAK_MATCH)


@dataclass(frozen=True)
class Review:
    """One reason for review. ``subject``: the need (its name) or places it is about."""

    code: str
    subject: str = ""
    category: str | None = None  # the need's category code, for per-need reasons
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        """The reason as the clerk reads it."""
        p = self.params
        if self.code == LONG_REQUEST:
            return f"请求较长（{p['chars']} 字），只分析了前 {p['analysed']} 字，请核对后面的需求"
        if self.code == REGION_AMBIGUOUS:
            return f"地区不明确：{self.subject}"
        if self.code == UNCERTAIN_NEED:
            return f"需求把握不大：{self.subject}"
        if self.code == NO_PROVIDER:
            return f"无可转介{p.get('kind_label', '机构')}：{self.subject}"
        if self.code == WEAK_MATCH:
            return f"匹配较弱：{self.subject}"
        raise ValueError(f"unknown review code {self.code!r}")

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "subject": self.subject,
            "category": self.category,
            **self.params,
        }
