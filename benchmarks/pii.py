"""Span-level recall and precision of personal-data redaction on a labelled TSV.

    python -m benchmarks.pii data/eval/pii_dev.tsv [--examples N]

The file has columns ``id, text, spans, note``; ``spans`` is ``kind:exact substring`` joined by
`` || `` (data/eval/README.md). A labelled span is *found* when every occurrence of its exact
characters in the text is replaced by a placeholder (``find_personal_data`` gives the replaced
characters, the same ones ``redact`` replaces). A redacted span is *correct* when its characters
all lie inside labelled spans; one that touches unlabelled text is a false positive. Recall is
per labelled kind, precision per redacted kind (a mobile redacted as [电话] that was labelled
``wechat`` is still correct: it is hidden). Missed and false examples are printed for a dev file,
never for a test file (``*test*``), so that nobody tunes on what they show.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qis_match.understanding.redact import KINDS, find_personal_data, redact


@dataclass
class Row:
    id: str
    text: str
    spans: list[tuple[str, str]]
    note: str


def read_rows(path: Path) -> list[Row]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = []
        for r in reader:
            spans = []
            for part in (r["spans"] or "").split(" || "):
                if part.strip():
                    kind, _, value = part.partition(":")
                    spans.append((kind.strip(), value))
            rows.append(Row(r["id"], r["text"], spans, r.get("note") or ""))
    return rows


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    out, i = [], text.find(value)
    while i >= 0:
        out.append((i, i + len(value)))
        i = text.find(value, i + 1)
    return out


@dataclass
class Score:
    labelled: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    def recall(self, kind: str | None = None) -> float:
        if kind is None:
            return self.ratio(sum(self.found.values()), sum(self.labelled.values()))
        return self.ratio(self.found[kind], self.labelled[kind])

    def precision(self, kind: str | None = None) -> float:
        if kind is None:
            return self.ratio(sum(self.correct.values()), sum(self.predicted.values()))
        return self.ratio(self.correct[kind], self.predicted[kind])


def score(rows: list[Row]) -> Score:
    sc = Score()
    for row in rows:
        text = row.text
        pred = find_personal_data(text)
        hidden = [False] * len(text)
        for p in pred:
            hidden[p.start : p.end] = [True] * (p.end - p.start)
        inside = [False] * len(text)
        for kind, value in row.spans:
            occ = _occurrences(text, value)
            sc.labelled[kind] += 1
            for s, e in occ:
                inside[s:e] = [True] * (e - s)
            if occ and all(all(hidden[s:e]) for s, e in occ):
                sc.found[kind] += 1
            else:
                sc.missed.append(f"{row.id} {kind}:{value} | {redact(text)}")
        for p in pred:
            kind = "phone" if p.kind in ("mobile", "landline") else p.kind
            sc.predicted[kind] += 1
            if all(inside[p.start : p.end]):
                sc.correct[kind] += 1
            else:
                sc.false.append(f"{row.id} {kind}:{text[p.start : p.end]} | {redact(text)}")
    return sc


def report(sc: Score, examples: int) -> str:
    lines = [
        f"{'kind':<8} {'labelled':>8} {'found':>6} {'recall':>7} {'redacted':>8} {'correct':>7} "
        f"{'precision':>9}"
    ]
    for kind in KINDS:
        lines.append(
            f"{kind:<8} {sc.labelled[kind]:>8} {sc.found[kind]:>6} {sc.recall(kind):>7.3f} "
            f"{sc.predicted[kind]:>8} {sc.correct[kind]:>7} {sc.precision(kind):>9.3f}"
        )
    lines.append(
        f"{'overall':<8} {sum(sc.labelled.values()):>8} {sum(sc.found.values()):>6} "
        f"{sc.recall():>7.3f} {sum(sc.predicted.values()):>8} {sum(sc.correct.values()):>7} "
        f"{sc.precision():>9.3f}"
    )
    if examples:
        lines.append(f"\nmissed ({len(sc.missed)}):")
        lines.extend("  " + m for m in sc.missed[:examples])
        lines.append(f"false positives ({len(sc.false)}):")
        lines.extend("  " + f for f in sc.false[:examples])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--examples", type=int, default=10, help="missed/false examples (dev only)")
    args = ap.parse_args(argv)
    rows = read_rows(args.path)
    examples = 0 if "test" in args.path.name else args.examples
    print(f"{args.path}: {len(rows)} rows")
    print(report(score(rows), examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
