"""Compare encoders on the dev set in one run: e5, the distilled static model, the fine-tuned one,
and the hybrid (e5 requests, static passages). For each: category top-1, referral P@5 (and the
rest of `qis-match eval`), per-request latency, encoder-only query latency and passages/s.

    python -m benchmarks.encoders --distilled var/models/static-jieba --finetuned var/models/static-jieba-ft

Each configuration gets its own index (built over the current demo catalog into a temporary home,
with the need classifier retrained on its encoder's vectors); the dev set is only scored.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from qis_match.build import build_index
from qis_match.encoders import make_encoder
from qis_match.evaluation import evaluate, read_labelled
from qis_match.pipeline import Matcher
from qis_match.settings import Settings
from qis_match.store.index_store import IndexStore

REPO = Path(__file__).resolve().parents[1]


def speed(encoder, passages: list[str], queries: list[str]) -> dict:
    t0 = time.perf_counter()
    for start in range(0, len(passages), 64):
        encoder.encode_passages(passages[start : start + 64])
    per_s = len(passages) / (time.perf_counter() - t0)
    lat = []
    for q in queries:
        t = time.perf_counter()
        encoder.encode_queries([q])
        lat.append((time.perf_counter() - t) * 1000)
    return {
        "passages_per_s": round(per_s, 1),
        "query_ms_p50": round(float(np.percentile(lat, 50)), 2),
    }


def run(name: str, settings: Settings, rows, passages, queries, out: dict) -> None:
    enc = make_encoder(settings)
    s = speed(enc, passages, queries[:100])
    build_index(settings, encoder=enc, progress=False)
    m = evaluate(Matcher(settings, encoder=enc), rows)
    out[name] = {
        "top1": round(m["top1"], 3),
        "precision_at_5": round(m["precision_at_5"], 3),
        "needs_micro_f1": round(m["needs_micro_f1"], 3),
        "non_qi_rejected": round(m["non_qi_rejected"], 3),
        "match_ms_p50": round(m["latency_ms"]["p50"], 1),
        **s,
    }
    print(name, json.dumps(out[name], ensure_ascii=False), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--distilled", required=True, help="static model directory (distillation only)")
    ap.add_argument(
        "--finetuned", required=True, help="static model directory (distilled + fine-tuned)"
    )
    ap.add_argument(
        "--extra", action="append", default=[], help="NAME=PATH of another static model"
    )
    ap.add_argument("--dev", default=str(REPO / "data/eval/dev.tsv"))
    args = ap.parse_args()
    rows = read_labelled(Path(args.dev))
    base = Settings()
    passages = IndexStore(base.index_root).load().passages["text"].tolist()
    queries = [r.text for r in rows]
    cache = base.cache_path
    configs = {
        "e5 (multilingual-e5-small, 4-bit)": {"encoder": "e5"},
        "static, distilled": {"encoder": "sentence-transformers", "encoder_model": args.distilled},
        "static, distilled + fine-tuned": {
            "encoder": "sentence-transformers",
            "encoder_model": args.finetuned,
        },
        "hybrid: e5 requests, distilled passages": {
            "encoder": "hybrid",
            "encoder_model": args.distilled,
        },
    }
    for item in args.extra:
        name, path = item.split("=", 1)
        configs[name] = {"encoder": "sentence-transformers", "encoder_model": path}
    out: dict = {}
    for name, cfg in configs.items():
        with tempfile.TemporaryDirectory() as home:
            # A fresh cache per configuration but e5's: passages/s must be measured, not read back.
            s = Settings(
                home=Path(home), embedding_cache=cache if cfg["encoder"] == "e5" else None, **cfg
            )
            run(name, s, rows, passages, queries, out)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
