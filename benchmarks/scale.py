"""Scale benchmark: build and serve catalogs of 10k, 100k and 1M capability lines, in one run.

    python -m benchmarks.scale                      # 10k, 100k, 1M lines → benchmarks/RESULTS.md
    python -m benchmarks.scale --sizes 10000 --out /tmp/r.md
    python -m benchmarks.scale --smoke              # a tiny run (the test suite's smoke test)

For each size it generates a catalog with the generator's size knob (half of the testing and
metrology lines carry a 限制范围 note, so most lines are distinct texts, as in real schedules), builds
it in a child process (time, lines/s, distinct texts embedded/s, peak memory, index size on disk),
then measures in separate child processes, each loading the index as a server would:
- qis-match (hybrid retrieval, the need classifier, the size's dense index kind),
- BM25 only (what a search engine with a Chinese analyzer gives; the spine's keyword needs),
- dense only with exact search (a flat index over the exact vectors),
on the dev set: top-1, need F1, P@5, match latency p50/p95/p99 in process, the dense index search
alone, peak memory of the serving process, recall@10 of an approximate index against exact search,
and match latency over HTTP (the real server on loopback). Ratios to BM25 are printed beside the
absolute figures, because a shared 2-core machine is noisy.

Passages are embedded with the hybrid encoder (e5 for requests, the distilled static model for the
catalog: `qis-match train-encoder --no-finetune --out var/models/static-jieba` makes it), since e5
embeds ~40 texts/s here: 1M lines would take days. The e5 and Ray per-worker rates are measured on
a sample in the same run and the e5 build time of each size is extrapolated from them (labelled so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "var" / "models" / "static-jieba"


# --- child processes ------------------------------------------------------------------------


def run_measured(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run a command; (seconds, peak RSS in MiB of it and its children, stdout)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE, cwd=REPO)
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(
                    c.memory_info().rss for c in ps.children(recursive=True)
                )
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.2)
        err = proc.stderr.read().decode(errors="replace")
        out.seek(0)
        stdout = out.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed:\n{err[-3000:]}")
    return time.perf_counter() - t0, peak / 2**20, stdout


def env_for(home: Path, model: Path | None, cache: Path | None = None, **extra: str) -> dict:
    env = {**os.environ, "QIS_HOME": str(home), "QIS_RATE_LIMIT_PER_MINUTE": "0"}
    if model is not None:
        env.update(QIS_ENCODER="hybrid", QIS_ENCODER_MODEL=str(model))
    if cache is not None:
        env["QIS_EMBEDDING_CACHE"] = str(cache)
    env.update(extra)
    return env


# --- the probe: one serving configuration, in its own process --------------------------------


def probe(args: argparse.Namespace) -> int:
    """Load the index as a server would, then measure quality, latency and memory."""
    import resource

    from qis_match.evaluation import evaluate, read_labelled
    from qis_match.pipeline import Matcher
    from qis_match.settings import Settings

    s = Settings()
    if args.mode == "bm25":
        s = s.model_copy(update={"retrieval": "bm25", "needs_model": "retrieval"})
    t0 = time.perf_counter()
    if args.mode == "dense-exact":
        from qis_match.store.index_store import IndexStore

        index = IndexStore(s.index_root).load()
        index.dense = _exact_index(s, index)
        s = s.model_copy(update={"retrieval": "dense"})
        m = Matcher(s, index=index)
    else:
        m = Matcher(s)
    load_s = time.perf_counter() - t0
    rows = read_labelled(REPO / "data/eval/dev.tsv")[: args.dev_limit or None]
    quality = evaluate(m, rows)
    lat = []
    for r in rows:
        t = time.perf_counter()
        m.match(r.text, r.region or None)
        lat.append((time.perf_counter() - t) * 1000)
    out = {
        "mode": args.mode,
        "load_s": round(load_s, 1),
        "top1": round(quality["top1"], 3),
        "f1": round(quality["needs_micro_f1"], 3),
        "p_at_5": round(quality["precision_at_5"], 3),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "dense_index": m.index.dense.kind,
        "passages": len(m.index.passages),
        "requests": len(rows),
    }
    if m.encoder is not None:
        q = m.encoder.encode_queries([r.text for r in rows])
        k = s.candidate_passages
        m.index.dense.search(q[:5], k)
        times = []
        for v in q:
            t = time.perf_counter()
            m.index.dense.search(v, k)
            times.append((time.perf_counter() - t) * 1000)
        out["search_p50_ms"] = round(float(np.percentile(times, 50)), 2)
        out["search_p99_ms"] = round(float(np.percentile(times, 99)), 2)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    if args.recall and m.index.dense.kind != "flat":
        from qis_match.retrieval.dense import recall_at_k

        out["recall_at_10"] = round(recall_at_k(m.index.dense, _exact_index(s, m.index), q, 10), 4)
    print(json.dumps(out))
    return 0


def _exact_index(s, index):
    """A flat index over the exact passage vectors (from the embedding cache)."""
    from qis_match.encoders import make_encoder
    from qis_match.encoders.batch import embed_texts
    from qis_match.encoders.cache import EmbeddingCache
    from qis_match.retrieval.dense import DenseIndex

    cache = EmbeddingCache(s.cache_path)
    try:
        vecs, _ = embed_texts(
            make_encoder(s), index.passages["text"].tolist(), cache, progress=False
        )
    finally:
        cache.close()
    return DenseIndex.build(vecs, "flat")


# --- encoder rates: e5 locally and per Ray worker -------------------------------------------


def encoder_rates(texts: list[str]) -> dict:
    from qis_match.encoders.distributed import RayEmbedder
    from qis_match.encoders.e5 import E5Encoder
    from qis_match.settings import Settings

    out = {"sample": len(texts)}
    enc = E5Encoder()
    enc.encode_passages(texts[:8])
    t = time.perf_counter()
    for i in range(0, len(texts), 32):
        enc.encode_passages(texts[i : i + 32])
    out["e5_local_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    try:
        import ray
    except ImportError:
        return out
    batches = [texts[i : i + 32] for i in range(0, len(texts), 32)]
    for actors in (1, 2):
        runner = RayEmbedder(Settings(), "auto", actors=actors)
        list(runner([texts[:8]] * actors, "passage"))  # actors loaded
        t = time.perf_counter()
        list(runner(batches, "passage"))
        out[f"ray_{actors}_workers_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
        runner.shutdown()
    ray.shutdown()
    return out


# --- one size ----------------------------------------------------------------------------------


def one_size(
    n: int,
    work: Path,
    model: Path | None,
    http_seconds: float,
    warm: Path | None,
    smoke: bool = False,
) -> dict:
    from benchmarks.service_latency import dev_requests, run_clients, server
    from qis_match.catalog.generate import generate_catalog

    catalog, home = work / f"catalog-{n}", work / f"home-{n}"
    t = time.perf_counter()
    if not (catalog / "capabilities.csv").exists():
        # smoke: no 限制范围 notes, so that the demo's cached e5 embeddings serve most texts
        generate_catalog(catalog, n, seed=7, limitation_rate=0.0 if smoke else 0.5)
    gen_s = time.perf_counter() - t
    home.mkdir(parents=True, exist_ok=True)
    cache = home / "embeddings.sqlite"
    if warm is not None and warm.exists() and not cache.exists():
        # training requests already embedded with e5: the classifier's share of the build is
        # not what is measured here. Catalog texts (a different model key) are embedded afresh.
        import shutil

        shutil.copy(warm, cache)
    env = env_for(home, model, cache, **({"QIS_NEEDS_MODEL": "retrieval"} if smoke else {}))
    build_s, build_mib, _ = run_measured(
        [sys.executable, "-m", "qis_match.cli", "build", "--catalog", str(catalog), "--quiet"], env
    )
    from qis_match.store.index_store import IndexStore

    path = IndexStore(home / "index").current_path()
    man = json.loads((path / "manifest.json").read_text())
    disk = sum(f.stat().st_size for f in path.iterdir())
    emb = man["embedding"]
    row = {
        "lines": man["lines"],
        "passages": man["passages"],
        "generate_s": round(gen_s, 1),
        "build_s": round(build_s, 1),
        "build_peak_mib": round(build_mib),
        "lines_per_s": round(man["lines"] / build_s),
        "embedded": emb["embedded"],
        "embed_s": man["seconds"]["embed"],
        "embedded_per_s": round(emb["embedded"] / max(man["seconds"]["embed"], 1e-9)),
        "stage_s": man["seconds"],
        "dense_index": man["dense_index"],
        "disk_mib": round(disk / 2**20, 1),
    }
    for mode in ("hybrid", "bm25", "dense-exact"):
        cmd = [sys.executable, "-m", "benchmarks.scale", "probe", "--mode", mode]
        if mode == "hybrid":
            cmd.append("--recall")
        if smoke:
            cmd += ["--dev-limit", "20"]
        _, mib, out = run_measured(cmd, env)
        row[mode] = json.loads(out.strip().splitlines()[-1])
        row[mode]["process_peak_mib"] = round(mib)
    if http_seconds > 0:
        with server(env) as base:
            bodies = dev_requests()
            asyncio.run(run_clients(base, 4, 3, bodies))
            lat, codes = asyncio.run(run_clients(base, 4, http_seconds, bodies))
        a = np.asarray(lat)
        row["http"] = {
            "clients": 4,
            "requests": int(a.size),
            "rps": round(a.size / http_seconds, 1),
            "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1),
            "errors": int(sum(v for k, v in codes.items() if k != 200)),
        }
    return row


# --- report ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def report(rows: list[dict], rates: dict, command: str) -> str:
    L = [
        "# Scale benchmark results",
        "",
        f"Machine: {machine()}. Command: `{command}` ({time.strftime('%Y-%m-%d')}).",
        "Catalog passages embedded with the hybrid encoder (e5 requests, distilled static passages);",
        "the serving figures are from a child process per configuration that loads the index as",
        "the server does. Other processes shared the machine: compare ratios within a row.",
        "",
        "## Build",
        "",
        "| lines | distinct texts | build s | lines/s | texts embedded/s | dense index | index on disk MiB | build peak MiB | e5 build, extrapolated |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    e5 = rates.get("e5_local_per_s")
    for r in rows:
        extrap = f"{r['passages'] / e5 / 3600:.1f} h" if e5 else "—"
        L.append(
            f"| {r['lines']:,} | {r['passages']:,} | {r['build_s']} | {r['lines_per_s']:,} | "
            f"{r['embedded_per_s']:,} | {r['dense_index']} | {r['disk_mib']} | {r['build_peak_mib']:,} | {extrap} |"
        )
    L += [
        "",
        "Build stages (seconds): " + "; ".join(f"{r['lines']:,}: {r['stage_s']}" for r in rows),
    ]
    L += [
        "",
        f"## Serving (dev set, {rows[0]['hybrid']['requests']} requests, in process)",
        "",
        "| lines | configuration | top-1 | need F1 | P@5 | p50 ms | p95 ms | p99 ms | p50 ÷ BM25 | index search p50 ms | recall@10 vs exact | serving peak MiB | load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = {"hybrid": "**qis-match**", "bm25": "BM25 only", "dense-exact": "dense only, exact"}
    for r in rows:
        base = r["bm25"]["p50_ms"]
        for mode in ("hybrid", "bm25", "dense-exact"):
            p = r[mode]
            L.append(
                f"| {r['lines']:,} | {names[mode]} | {p['top1']} | {p['f1']} | {p['p_at_5']} | {p['p50_ms']} | "
                f"{p['p95_ms']} | {p['p99_ms']} | {p['p50_ms'] / base:.2f} | {p.get('search_p50_ms', '—')} | "
                f"{p.get('recall_at_10', 'exact' if mode != 'bm25' else '—')} | {p['peak_rss_mib']:,.0f} | {p['load_s']} |"
            )
    if any("http" in r for r in rows):
        L += [
            "",
            "## Over HTTP (the real server on loopback, 4 clients, match endpoint)",
            "",
            "| lines | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            h = r.get("http")
            if h:
                L.append(
                    f"| {r['lines']:,} | {h['requests']} | {h['rps']} | {h['p50_ms']} | {h['p95_ms']} | {h['p99_ms']} | {h['errors']} |"
                )
    L += ["", "## Encoder rates (distinct texts per second, measured on a sample in this run)", ""]
    L += [f"- {k}: {v}" for k, v in rates.items()]
    L += [
        "",
        "Raw figures:",
        "",
        "```json",
        json.dumps(rows, ensure_ascii=False, indent=1),
        "```",
        "",
    ]
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd")
    pr = sub.add_parser("probe", help="(internal) measure one serving configuration")
    pr.add_argument("--mode", choices=["hybrid", "bm25", "dense-exact"], default="hybrid")
    pr.add_argument("--recall", action="store_true")
    pr.add_argument("--dev-limit", type=int, default=0, help="first N dev requests (0 = all)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--static-model", default=str(DEFAULT_MODEL))
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "qis-scale"))
    ap.add_argument("--http-seconds", type=float, default=20)
    ap.add_argument("--rate-sample", type=int, default=320, help="texts for the encoder rates")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    ap.add_argument(
        "--smoke", action="store_true", help="one tiny size with e5, no HTTP, no encoder rates"
    )
    args = ap.parse_args()
    if args.cmd == "probe":
        return probe(args)
    model = Path(args.static_model) if args.static_model and not args.smoke else None
    if model is not None and not model.exists():
        raise SystemExit(
            f"no static model at {model}: run `qis-match build` and "
            f"`qis-match train-encoder --no-finetune --out {model}` first, or pass --static-model ''"
        )
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [1000] if args.smoke else args.sizes
    warm = REPO / "var" / "embeddings.sqlite"
    rows = []
    for n in sizes:
        print(f"size {n:,} …", file=sys.stderr, flush=True)
        rows.append(
            one_size(n, work, model, 0 if args.smoke else args.http_seconds, warm, args.smoke)
        )
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    rates: dict = {}
    if not args.smoke and args.rate_sample:
        from qis_match.build import passages_for
        from qis_match.catalog import load_catalog
        from qis_match.catalog.kinds import get_kind
        from qis_match.taxonomy import load_taxonomy

        catalog = load_catalog(work / f"catalog-{sizes[0]}")
        texts = passages_for(get_kind("institution").lines(catalog, load_taxonomy()))[0]
        rates = encoder_rates(texts["text"].tolist()[: args.rate_sample])
    command = "python -m benchmarks.scale " + " ".join(sys.argv[1:])
    Path(args.out).write_text(report(rows, rates, command.strip()), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
