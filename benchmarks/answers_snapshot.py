"""Snapshot every answer of the engine, to show a refactor lost nothing (issue 18).

    python -m benchmarks.answers_snapshot snapshot OUT.jsonl   # match every eval request, a few
                                                               # searches and resource pages
    python -m benchmarks.answers_snapshot compare A.jsonl B.jsonl [--ignore card,reviews]

Timings are left out; ``compare`` ignores keys a change added (the contract only adds keys).
To compare against older code, run ``snapshot`` from a worktree of it
(``git worktree add /tmp/old <rev>``, ``PYTHONPATH=/tmp/old``) over the same ``QIS_HOME``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

EVAL = ("dev", "dev_real", "test", "dev_resources")
SEARCHES = [
    ("压力表 检定", None, "湖北省武汉市"),
    ("扫描电镜", ["instrument"], None),
    ("质量诊断", ["expert"], "广东省深圳市"),
    ("", ["instrument"], "湖北省武汉市"),
    ("", None, None),
    ("电热水壶", ["institution"], None),
]


def snapshot(out: Path) -> int:
    from qis_match.pipeline import Matcher
    from qis_match.ranking.ranker import Filters

    m = Matcher()
    n = 0
    with open(out, "w", encoding="utf-8") as fh:

        def put(obj) -> None:
            nonlocal n
            fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str) + "\n")
            n += 1

        for name in EVAL:
            with open(Path("data/eval") / f"{name}.tsv", encoding="utf-8") as f:
                for row in csv.DictReader(f, delimiter="\t"):
                    d = m.match(row["text"], row.get("region") or None).to_dict()
                    d.pop("elapsed_ms", None)
                    put(d)
        for q, types, region in SEARCHES:
            put([r.to_dict() for r in m.search(q, region, Filters(resource_types=types), 10)])
        for rid in m.ranker.res.groupby("resource_type").head(3)["resource_id"]:
            put(m.resource(rid))
    print(f"{out}: {n} answers")
    return 0


def _strip(x, ignore: set[str]):
    if isinstance(x, dict):
        return {k: _strip(v, ignore) for k, v in x.items() if k not in ignore}
    if isinstance(x, list):
        return [_strip(v, ignore) for v in x]
    return x


def compare(a: Path, b: Path, ignore: set[str]) -> int:
    left = a.read_text(encoding="utf-8").splitlines()
    right = b.read_text(encoding="utf-8").splitlines()
    if len(left) != len(right):
        print(f"{len(left)} answers against {len(right)}")
        return 1
    differ = [
        i
        for i, (x, y) in enumerate(zip(left, right, strict=True))
        if _strip(json.loads(x), ignore) != _strip(json.loads(y), ignore)
    ]
    print(
        f"{len(left)} answers, {len(differ)} differ"
        + (f" (first: line {differ[0] + 1})" if differ else "")
    )
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--ignore", default="card,reviews")
    args = p.parse_args(argv)
    if args.cmd == "snapshot":
        return snapshot(args.out)
    return compare(args.a, args.b, {k for k in args.ignore.split(",") if k})


if __name__ == "__main__":
    sys.exit(main())
