"""Split a request into the clauses that may each carry one need (一揽子: 商标 + 团体标准 + 检测).

Sentences end at 。！？；; a comma starts a new clause only before a connective (另外, 还要, 同时 …),
and 再/还/并 inside a clause start one too ("想注册商标再做个团体标准"). Spans keep their
character offsets in the normalised text, so every need can point at the words it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"[。！？；;!?\n]+")
_CONNECTIVE = r"(?:另外|此外|还有|还要|还想|还需要|还需|同时|以及|并且|并|再就是|再|然后|顺便|顺带|也想|也要|也需要|最后|第[一二三四五六]|[1-6][.、)）])"
# Contact details pasted after the need are a clause of their own, not part of the need's words.
_CONTACT = r"(?:联系人|联系电话|联系方式|电话|手机|邮箱|\[联系人\]|\[电话\]|\[邮箱\])"
_COMMA_SPLIT = re.compile(rf"[，,、\s]\s*(?={_CONNECTIVE}|{_CONTACT})")
_INNER_SPLIT = re.compile(
    r"(?<=[\u4e00-\u9fa5A-Za-z0-9])(?=(?:再|还要|还想|另外|顺便|同时)(?:做|办|申请|注册|搞|弄|找|请|评|测|检|认|起草|制定|编制|加|把|帮|给|个|一))"
)


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


def _pieces(text: str, pattern: re.Pattern[str], offset: int) -> list[Span]:
    out, pos = [], 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append(Span(text[pos : m.start()], offset + pos, offset + m.start()))
        pos = m.end()
    if pos < len(text):
        out.append(Span(text[pos:], offset + pos, offset + len(text)))
    return out


def split_clauses(text: str, min_chars: int = 2) -> list[Span]:
    spans: list[Span] = []
    for sent in _pieces(text, _SENTENCE_END, 0):
        for clause in _pieces(sent.text, _COMMA_SPLIT, sent.start):
            spans.extend(_pieces(clause.text, _INNER_SPLIT, clause.start))
    out: list[Span] = []
    pending: Span | None = None  # a lone connective ("另外") joins the clause after it
    for s in spans:
        stripped = s.text.strip(" ，,、:：")
        if len(stripped) < min_chars:
            continue
        lead = s.text.index(stripped)
        span = Span(stripped, s.start + lead, s.start + lead + len(stripped))
        if pending is not None:
            span = Span(text[pending.start : span.end], pending.start, span.end)
            pending = None
        if re.fullmatch(_CONNECTIVE, span.text):
            pending = span
            continue
        out.append(span)
    if pending is not None:
        out.append(pending)
    return out or [Span(text, 0, len(text))]
