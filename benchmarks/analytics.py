"""Analytics over 1,000,000 logged requests: write, load, flag, aggregate (DuckDB vs pandas), topics.

The million requests are **resampled** from a demand log that the demo generator filled through
the real matcher (``--source-db``; by default the settings' database, filled with the demo year if
empty): requests are drawn with replacement together with their needs, given new ids and a new day
within their month. So the distributions (regions, industries, needs, seasonality, unmet shares)
are the generator's, and texts repeat (the topics embed a sample of ``analytics_cluster_sample``
items and assign the rest by nearest TF-IDF centroid, so repeats do not flatter the timing).

    python -m benchmarks.analytics --rows 1000000 --source-db sqlite:///var/qis.db \
        --work /tmp/qis-analytics-bench --out benchmarks/RESULTS_analytics.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert

from qis_match.analytics.aggregate import aggregate
from qis_match.analytics.frames import derive, request_flags
from qis_match.settings import Settings
from qis_match.store.demand_log import DemandLog, DemandNeed, DemandRequest


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next(
            ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")
        )
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def resample(
    requests: pd.DataFrame, needs: pd.DataFrame, rows: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows`` requests drawn with replacement, with their needs, new ids and days."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(requests), size=rows)
    r = requests.iloc[pick].reset_index(drop=True).copy()
    new_pk = np.arange(1, rows + 1)
    old_pk = r["id"].to_numpy()
    r["id"] = new_pk
    r["request_id"] = [f"{i:032x}" for i in new_pk]
    day = pd.to_timedelta(rng.integers(0, 28, size=rows), unit="D")
    r["created_at"] = (
        r["created_at"].dt.to_period("M").dt.to_timestamp() + day + pd.Timedelta(hours=10)
    )
    by_req = needs.sort_values(["request_pk", "position"]).groupby("request_pk").indices
    parts, owners = [], []
    for new, old in zip(new_pk, old_pk, strict=True):
        idx = by_req.get(old)
        if idx is not None:
            parts.append(idx)
            owners.append(np.full(len(idx), new))
    idx = np.concatenate(parts)
    n = needs.sort_values(["request_pk", "position"]).iloc[idx].reset_index(drop=True).copy()
    n["request_pk"] = np.concatenate(owners)
    n["id"] = np.arange(1, len(n) + 1)
    return r, n


def write_log(url: str, r: pd.DataFrame, n: pd.DataFrame, chunk: int = 50_000) -> DemandLog:
    log = DemandLog(url)
    rcols = [c.name for c in DemandRequest.__table__.c]
    ncols = [c.name for c in DemandNeed.__table__.c]
    r = r.assign(entities=[{}] * len(r))
    with log.engine.begin() as conn:
        for frame, table, cols in ((r, DemandRequest, rcols), (n, DemandNeed, ncols)):
            frame = frame[cols].astype(object).where(frame[cols].notna(), None)
            for s in range(0, len(frame), chunk):
                conn.execute(insert(table), frame.iloc[s : s + chunk].to_dict("records"))
    return log


def timed(label: str, fn, results: list):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    results.append((label, dt))
    print(f"{label}: {dt:.1f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--source-db", help="demand log to resample (default: settings' database)")
    ap.add_argument("--work", default="/tmp/qis-analytics-bench")
    ap.add_argument("--out", help="write the results table (Markdown) here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each aggregation engine")
    ap.add_argument("--no-topics", action="store_true")
    args = ap.parse_args(argv)
    s = Settings()
    src = DemandLog(args.source_db or s.db_url)
    if not src.count():
        from qis_match.analytics.runner import ensure_demo

        ensure_demo(s, src)
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load_before = os.getloadavg()
    results: list[tuple[str, float]] = []
    sr, sn = src.frames()
    print(f"source: {len(sr):,} requests, {len(sn):,} needs", flush=True)
    r, n = timed(
        f"resample to {args.rows:,} requests",
        lambda: resample(sr, sn, args.rows, args.seed),
        results,
    )
    url = f"sqlite:///{work}/log.db"
    log = timed(
        f"write {len(r):,} requests + {len(n):,} needs to SQLite",
        lambda: write_log(url, r, n),
        results,
    )
    r = n = None  # free the resampled frames before loading the log back
    req, nd = timed("load the log (pandas.read_sql)", lambda: log.frames(), results)
    nd = timed("derive unmet flags", lambda: derive(req, nd, s.analytics_far_km), results)
    req = timed("request flags", lambda: request_flags(req, nd), results)
    engines = {}
    for engine in ("duckdb", "pandas"):
        runs = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            out = aggregate(nd, req, engine)
            runs.append(time.perf_counter() - t0)
            print(f"aggregate with {engine} (run {i + 1}): {runs[-1]:.2f} s", flush=True)
        engines[engine] = (runs, out)
    a, b = engines["duckdb"][1], engines["pandas"][1]
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, check_exact=False)
    print("duckdb and pandas tables agree", flush=True)
    topic_line = ""
    if not args.no_topics:
        from qis_match.analytics.frames import DemandFrames
        from qis_match.analytics.topics import find_topics
        from qis_match.encoders import make_encoder
        from qis_match.encoders.cache import EmbeddingCache

        enc = make_encoder(s)
        frames = DemandFrames(req, nd, pd.DataFrame(), pd.DataFrame(), pd.Timestamp.now())
        topics = timed(
            f"topics (embed+cluster {s.analytics_cluster_sample:,}, assign the rest)",
            lambda: find_topics(
                frames,
                enc,
                EmbeddingCache(work / "emb.sqlite"),
                s.analytics_max_topics,
                s.analytics_cluster_sample,
                0,
            ),
            results,
        )
        topic_line = f"{len(topics.items):,} unmet items in {len(topics.table)} topics"
    load_after = os.getloadavg()
    best = {e: min(v[0]) for e, v in engines.items()}
    total = sum(
        dt
        for label, dt in results
        if not label.startswith("resample") and not label.startswith("write")
    ) + min(best.values())
    lines = [
        "# Analytics over 1,000,000 logged requests",
        "",
        f"Command: `python -m benchmarks.analytics {' '.join(argv or sys.argv[1:])}`",
        "",
        f"Machine: {_machine()}; load average {load_before[0]:.1f} at start, "
        f"{load_after[0]:.1f} at the end (the machine is shared with other work).",
        "",
        f"Data: {args.rows:,} requests resampled with replacement (with their needs) from a demo "
        f"log of {len(sr):,} requests that the demo generator sent through the real matcher; "
        f"{len(nd):,} needs. Texts repeat; topics embed a sample.",
        "",
        "| step | seconds |",
        "|---|---|",
        *[f"| {label} | {dt:.1f} |" for label, dt in results],
        *[
            f"| aggregate, {e} (best of {len(v[0])}: {', '.join(f'{x:.2f}' for x in v[0])}) | "
            f"{min(v[0]):.2f} |"
            for e, v in engines.items()
        ],
        f"| **analysis after the log is written (load + flags + {min(best, key=best.get)} "
        f"+ topics)** | **{total:.1f}** |",
        "",
        f"Faster engine here: **{min(best, key=best.get)}** "
        f"({max(best.values()) / min(best.values()):.1f}× faster than the other on the {len(a)} "
        "group-bys; same tables from both). " + (f"Topics: {topic_line}." if topic_line else ""),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
