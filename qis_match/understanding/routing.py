"""First-ask routing (首问负责): where a request that is not a QI need belongs instead.

The window that first receives a request answers for it. When qis-match finds no QI need (or a
request mixes a QI need with something else), the clerk gets the competent channel and one line
of reason, from the route table ``data/routing/channels.yaml`` (written from public knowledge;
only real national hotlines). Two kinds of evidence pick the channel: the table's patterns, and
a route model the classifier learns from the routed training requests (column ``route``) and from
real reviews (12315). Nothing decisive → the 12345 hotline, which forwards to the competent office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qis_match.errors import InputError
from qis_match.settings import DATA_DIR

CHANNELS_FILE = DATA_DIR / "routing" / "channels.yaml"
FALLBACK = "hotline_12345"
PATTERN_WEIGHT = 0.6  # a pattern hit counts as much as this much route-model probability


@dataclass(frozen=True)
class Channel:
    code: str
    name: str
    where: str
    hotline: str | None
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    # Intents that settle the channel even over QI words ("招ISO内审员" is hiring): only a
    # strong signal of a wanted service keeps such a request a QI need.
    decisive: tuple[re.Pattern[str], ...] = ()
    raises_gate: bool = True  # a pattern hit asks for a clearer QI probability (decompose.py)
    # Intents read on the whole request, across clauses ("网上买的…，我想投诉"): they settle it
    # whatever QI words it holds.
    decisive_request: tuple[re.Pattern[str], ...] = ()
    # False: the channel needs one of its words; the route model alone never picks it (the
    # model has seen many consumer reviews and would send any chat to 12315).
    model_alone: bool = True

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "where": self.where,
            "hotline": self.hotline,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Route:
    """The channel a request (or the non-QI part of it) is routed to, and why."""

    channel: Channel
    text: str  # the words routed (the whole request, or its non-QI part)
    evidence: str  # the pattern match, or "model"/"default"
    score: float

    def to_dict(self) -> dict:
        return {
            **self.channel.to_dict(),
            "text": self.text,
            "evidence": self.evidence,
            "score": round(self.score, 4),
        }


def read_channels(path: Path) -> dict[str, Channel]:
    """Read and validate the route table; a bad entry is named by position and field."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    out: dict[str, Channel] = {}
    for i, c in enumerate(raw.get("channels") or [], start=1):
        missing = [k for k in ("code", "name", "where", "reason") if not c.get(k)]
        if missing:
            raise InputError(f"{path}: channel {i}: missing {missing}")
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in c.get("patterns") or [])
            decisive = tuple(re.compile(p, re.IGNORECASE) for p in c.get("decisive") or [])
            whole = tuple(re.compile(p, re.IGNORECASE) for p in c.get("decisive_request") or [])
        except re.error as exc:
            raise InputError(f"{path}: channel {c['code']}: bad pattern: {exc}") from exc
        hotline = c.get("hotline")
        if hotline is not None and not re.fullmatch(r"123\d\d", str(hotline)):
            raise InputError(
                f"{path}: channel {c['code']}: hotline {hotline!r} is not a 123xx line"
            )
        out[c["code"]] = Channel(
            c["code"],
            c["name"],
            c["where"],
            None if hotline is None else str(hotline),
            c["reason"],
            patterns,
            decisive,
            bool(c.get("raises_gate", True)),
            whole,
            bool(c.get("model_alone", True)),
        )
    if FALLBACK not in out:
        raise InputError(f"{path}: the fallback channel {FALLBACK!r} is missing")
    return out


@lru_cache(maxsize=2)
def load_channels(path: Path | None = None) -> dict[str, Channel]:
    return read_channels(path or CHANNELS_FILE)


class Router:
    """Pick the channel for a text from pattern hits and the learned route probabilities."""

    def __init__(self, channels: dict[str, Channel] | None = None) -> None:
        self.channels = channels or load_channels()

    def pattern_hits(self, text: str) -> dict[str, str]:
        """code → the first matching words, for every channel whose pattern matches."""
        hits: dict[str, str] = {}
        for code, ch in self.channels.items():
            for p in ch.patterns:
                m = p.search(text)
                if m:
                    hits[code] = m.group(0)
                    break
        return hits

    def decisive_route(self, text: str) -> Route | None:
        """The channel an intent settles (hiring, franchising …), or None."""
        for ch in self.channels.values():
            for p in ch.decisive:
                m = p.search(text)
                if m:
                    return Route(ch, text, m.group(0), 1.0)
        return None

    def request_route(self, text: str) -> Route | None:
        """The channel an intent read on the whole request settles (a consumer's complaint about
        something bought), or None."""
        for ch in self.channels.values():
            for p in ch.decisive_request:
                m = p.search(text)
                if m:
                    return Route(ch, text, m.group(0), 1.0)
        return None

    def route(self, text: str, model_proba: dict[str, float] | None = None) -> Route:
        """The best channel for a text that is not (or not only) a QI need."""
        settled = self.request_route(text) or self.decisive_route(text)
        if settled is not None:
            return settled
        hits = self.pattern_hits(text)
        proba = {
            c: p
            for c, p in (model_proba or {}).items()
            if c in self.channels and (self.channels[c].model_alone or c in hits)
        }
        scores = {
            code: proba.get(code, 0.0) + (PATTERN_WEIGHT if code in hits else 0.0)
            for code in self.channels
        }
        best = max(scores, key=lambda c: (scores[c], c != FALLBACK))  # specific wins a tie
        if scores[best] <= 0:
            return Route(self.channels[FALLBACK], text, "default", 0.0)
        evidence = hits.get(best) or ("model" if proba else "default")
        return Route(self.channels[best], text, evidence, scores[best])

    def route_rest(self, text: str) -> Route | None:
        """A route for the non-QI part of a mixed request: only on a pattern hit (the route model
        has not seen such parts alone, and a wrong route on a served request is noise)."""
        hits = {c: w for c, w in self.pattern_hits(text).items() if c != FALLBACK}
        if not hits:
            return None
        code = next(iter(hits))
        return Route(self.channels[code], text, hits[code], PATTERN_WEIGHT)
