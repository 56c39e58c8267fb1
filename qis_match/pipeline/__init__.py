"""The matching pipeline: :class:`Matcher` and its stages (read → understand → retrieve → rank →
refer) over one typed :class:`MatchContext`."""

from qis_match.pipeline.context import MatchContext, Stage
from qis_match.pipeline.matcher import Matcher

__all__ = ["MatchContext", "Matcher", "Stage"]
