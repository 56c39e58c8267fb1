"""What the most expensive requests cost against a typical one (issue 23: at most 5× the median).

Typical: the median over the requests of ``data/eval/dev.tsv``. Worst cases: requests at the
length limit built to defeat each budget — a long multi-need paste, the same without punctuation,
hundreds of one-word clauses, characters that NFKC expands 4×, random CJK (the most e5 tokens per
character; for redaction the most work for jieba's HMM), digits, ASCII, lists of names and runs of
surname characters. Each request is matched and redacted, as the service does before it logs it. Each case is timed ``--repeat`` times and its best time is kept, so
that a background process slows neither side of the ratio more than the other.

    python -m benchmarks.worst_case [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import time
from pathlib import Path

from qis_match.errors import InputError
from qis_match.pipeline import Matcher
from qis_match.understanding.redact import _redact, redact

redaction_cache_clear = _redact.cache_clear

DEV = Path(__file__).resolve().parents[1] / "data" / "eval" / "dev.tsv"


def worst_cases(limit: int = 2000, seed: int = 0) -> dict[str, str]:
    """Requests of ``limit`` characters (after normalising) that stress each per-request stage."""
    rng = random.Random(seed)
    paste = "我们厂的压力表到期了要送检，另外电热水壶要做CCC认证，还想注册商标再做个团体标准，"
    return {
        "long multi-need paste": (paste * limit)[:limit],
        "no punctuation": (paste.replace("，", "") * limit)[:limit],
        "one-word clauses": ("检测，" * limit)[:limit],
        "NFKC expands 4x": "㍿" * (limit // 4),
        "random CJK": "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(limit)),
        "digits": ("13800001234 " * limit)[:limit],
        "names in lists": ("王建国、李娜和小贾三人明天过来，通知方圆签字，" * limit)[:limit],
        "surname characters": ("王李张刘陈杨黄赵吴周" * limit)[:limit],
        "ascii": ("calibration test ISO 9001 certificate " * limit)[:limit],
    }


def _best_ms(m: Matcher, text: str, repeat: int) -> float:
    """Match and redact, as the service does for each request it logs (redaction's cache is
    emptied first, so that every repeat pays for it)."""
    best = float("inf")
    for _ in range(repeat):
        redaction_cache_clear()
        t0 = time.perf_counter()
        with contextlib.suppress(InputError):  # a refused request costs its refusal
            m.match(text)
            redact(text)
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best


def run(repeat: int = 3) -> dict:
    m = Matcher()
    typical = [line.split("\t")[3] for line in DEV.read_text("utf-8").splitlines()[1:]]
    for text in typical[:20]:  # warm caches
        m.match(text)
    median = statistics.median(_best_ms(m, t, 1) for t in typical)
    cases = {
        name: round(_best_ms(m, text, repeat), 1)
        for name, text in worst_cases(m.settings.max_text_chars).items()
    }
    worst = max(cases.values())
    return {
        "typical_median_ms": round(median, 1),
        "cases_ms": cases,
        "worst_ms": worst,
        "worst_over_median": round(worst / median, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args.repeat)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(f"typical (dev median)  {out['typical_median_ms']:7.1f} ms")
    for name, ms in out["cases_ms"].items():
        print(f"{name:22s}{ms:7.1f} ms  {ms / out['typical_median_ms']:4.1f}x")
    print(f"worst / median        {out['worst_over_median']:.2f}x")


if __name__ == "__main__":
    main()
