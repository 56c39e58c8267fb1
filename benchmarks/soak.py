"""Soak test of the real service over loopback (issue 22): a long run at a steady share of the
measured capacity, watching for what only time shows (latency creeping up, memory growing).

One command starts ``qis-match serve`` (real uvicorn, 1 process; ``benchmarks.load.Server``) over
the index in ``--home`` with a fresh SQLite ticket database (or ``--database-url``), then:

1. **Capacity** (``--capacity-seconds``, default 60): ``--capacity-clients`` closed-loop clients
   send the soak's mix as fast as they are answered; the completed requests per second are the
   capacity.
2. **Soak** (``--minutes``, default 30): the same mix, open loop (requests start on schedule
   whether or not earlier ones are answered) at ``--rate`` requests/s, by default
   ``--share`` (70 %) of the capacity. The mix: 85 % ``POST /api/v1/match`` with the dev-set
   requests, 15 % ticket writes (a clerk creates a ticket from a match's first referrals, moves
   it one step on with its version and adds feedback: three requests), and every
   ``--export-seconds`` the analyst's workbook (``GET /api/v1/analytics/report.xlsx``).
   Recorded per request: time, latency, status; every ``--rss-seconds`` the server's resident
   memory (``VmRSS`` in ``/proc/<pid>/status``), alone and with the processes it started (the
   analytics worker, ``service/analytics_worker.py``).
3. **Report**: errors (any status other than 200/201, any transport error), p50/p99 per window
   of ``--window-seconds`` (match and ticket requests; the exports, rare and slow, apart), the
   p99 drift (median p99 of the last quarter of the windows after the warm-up against the first
   quarter) and the RSS growth after the warm-up (mean of the last quarter of the samples against
   the first quarter), of the server and of the server with its children. With ``--json`` one JSON document.

The server runs with the rate limit and the daily quota off (``QIS_RATE_LIMIT_PER_MINUTE=0``,
``QIS_DAILY_QUOTA=0``): the soak measures the service, not the limiter (benchmarks/load.py does).

    python -m benchmarks.soak                                  # 30 min at 70 % of capacity
    python -m benchmarks.soak --minutes 5 --rate 6 --json      # a shorter run at a fixed rate
    python -m benchmarks.soak --minutes 0.1 --capacity-seconds 3 --warmup-minutes 0   # smoke

Exit status 0 only when errors = 0, p99 drift <= ``--max-p99-drift`` (0.20) and RSS growth <=
``--max-rss-growth`` (0.05). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from benchmarks.load import REPO, Server, dev_rows, free_port, ticket_proposals

log = logging.getLogger("benchmarks.soak")
TICKET_SHARE = 0.15


@dataclass
class Record:
    at: list[float] = field(default_factory=list)  # seconds since the phase started
    name: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    def add(self, t0: float, name: str, started: float, code: int | str) -> None:
        self.at.append(started - t0)
        self.name.append(name)
        self.ms.append((time.perf_counter() - started) * 1000)
        self.code.append(str(code))
        if code not in (200, 201):
            self.errors[f"{name}: {code}"] += 1


def rss_kb(pid: int) -> int | None:
    """The resident memory of a process (kB), from /proc/<pid>/status; None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the service's analytics worker and its helpers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except (OSError, ValueError):
                continue
            out.extend(kids)
            todo.extend(kids)
    return out


def children_rss_kb(pid: int) -> int:
    """The resident memory of every process the service started (kB)."""
    return sum(rss_kb(k) or 0 for k in descendants(pid))


class Mix:
    """One operation of the soak's mix (a match, or a ticket write of three requests)."""

    def __init__(self, base: str, clerk_key: str, rows: list[dict], proposals: list[dict]):
        self.base, self.rows, self.proposals = base, rows, proposals
        self.clerk = {"X-API-Key": clerk_key}
        self.rng = random.Random(22)
        self.n = 0

    async def one(self, c: httpx.AsyncClient, rec: Record, t0: float) -> None:
        self.n += 1
        if self.rng.random() >= TICKET_SHARE:
            row = self.rows[self.n % len(self.rows)]
            await _timed(rec, t0, "match", c.post("/api/v1/match", json=row))
            return
        p = self.proposals[self.n % len(self.proposals)]
        body = {"text": p["text"], "region": p["region"], "choices": p["choices"]}
        r = await _timed(
            rec, t0, "ticket_create", c.post("/api/v1/tickets", json=body, headers=self.clerk)
        )
        if r is None or r.status_code != 201:
            return
        t = r.json()
        r = await _timed(
            rec,
            t0,
            "ticket_status",
            c.post(
                f"/api/v1/tickets/{t['id']}/status",
                json={"status": t["next_status"], "version": t["version"]},
                headers=self.clerk,
            ),
        )
        await _timed(
            rec,
            t0,
            "ticket_feedback",
            c.post(
                f"/api/v1/tickets/{t['id']}/feedback",
                json={"rating": 4, "comment": "soak"},
                headers=self.clerk,
            ),
        )


async def _timed(rec: Record, t0: float, name: str, call) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        r = await call
    except httpx.HTTPError as exc:
        rec.add(t0, name, started, type(exc).__name__)
        return None
    rec.add(t0, name, started, r.status_code)
    return r


async def measure_capacity(mix: Mix, clients: int, seconds: float) -> dict:
    """Closed loop: ``clients`` each send the mix as fast as they are answered."""
    rec = Record()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    ops = Counter()

    async def loop() -> None:
        async with httpx.AsyncClient(base_url=mix.base, timeout=120) as c:
            while time.perf_counter() < deadline:
                await mix.one(c, rec, t0)
                ops["done"] += 1

    await asyncio.gather(*(loop() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    return {
        "seconds": round(elapsed, 1),
        "operations": ops["done"],
        "operations_per_s": round(ops["done"] / elapsed, 2),
        "errors": dict(rec.errors),
    }


async def soak(
    mix: Mix,
    analyst_key: str,
    pid: int,
    rate: float,
    seconds: float,
    export_seconds: float,
    rss_seconds: float,
    max_in_flight: int,
) -> tuple[Record, list[tuple[float, int, int]], dict]:
    """Open loop at ``rate`` operations/s for ``seconds``; exports and RSS samples beside."""
    rec = Record()
    rss: list[tuple[float, int, int]] = []  # time, the service's kB, with its children
    t0 = time.perf_counter()
    deadline = t0 + seconds
    info = Counter()
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(base_url=mix.base, timeout=120, limits=limits) as c:
        in_flight: set[asyncio.Task] = set()

        async def sampler() -> None:
            while time.perf_counter() < deadline:
                kb = rss_kb(pid)
                if kb is not None:
                    rss.append((time.perf_counter() - t0, kb, kb + children_rss_kb(pid)))
                await asyncio.sleep(min(rss_seconds, max(0.0, deadline - time.perf_counter())))

        async def exporter() -> None:
            headers = {"X-API-Key": analyst_key}
            while time.perf_counter() < deadline:
                r = await _timed(
                    rec, t0, "export", c.get("/api/v1/analytics/report.xlsx", headers=headers)
                )
                if r is not None and r.status_code == 200 and not r.content.startswith(b"PK"):
                    rec.errors["export: not an xlsx"] += 1
                await asyncio.sleep(min(export_seconds, max(0.0, deadline - time.perf_counter())))

        side = [asyncio.create_task(sampler()), asyncio.create_task(exporter())]
        sent = 0
        while time.perf_counter() < deadline:
            if len(in_flight) >= max_in_flight:
                info["skipped_over_max_in_flight"] += 1  # the server fell behind: noted
            else:
                task = asyncio.create_task(mix.one(c, rec, t0))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            sent += 1
            await asyncio.sleep(max(0.0, t0 + sent / rate - time.perf_counter()))
        info["scheduled"] = sent
        await asyncio.gather(*in_flight, *side)
    info["seconds"] = round(time.perf_counter() - t0, 1)
    return rec, rss, dict(info)


def windows(rec: Record, window: float, seconds: float) -> list[dict]:
    """p50/p99 of the match and ticket requests, and errors, per window of ``window`` seconds."""
    at, ms = np.asarray(rec.at), np.asarray(rec.ms)
    steady = np.asarray([n != "export" for n in rec.name], dtype=bool)
    bad = np.asarray([c not in ("200", "201") for c in rec.code], dtype=bool)
    out = []
    for k in range(max(1, int(np.ceil(seconds / window)))):
        lo, hi = k * window, (k + 1) * window
        sel = (at >= lo) & (at < hi) if at.size else np.zeros(0, bool)
        lat = ms[sel & steady] if at.size else ms
        out.append(
            {
                "start_s": round(lo, 1),
                "requests": int(sel.sum()) if at.size else 0,
                "errors": int((sel & bad).sum()) if at.size else 0,
                "p50_ms": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
                "p99_ms": round(float(np.percentile(lat, 99)), 1) if lat.size else None,
            }
        )
    return out


def drift(series: list[float]) -> float | None:
    """Last quarter against first quarter (medians), as a fraction; None without data."""
    vals = [v for v in series if v is not None]
    if len(vals) < 2:
        return None
    q = max(1, len(vals) // 4)
    first, last = float(np.median(vals[:q])), float(np.median(vals[-q:]))
    return round(last / first - 1, 4) if first > 0 else None


def growth(samples: list[int]) -> float | None:
    if len(samples) < 2:
        return None
    q = max(1, len(samples) // 4)
    first, last = float(np.mean(samples[:q])), float(np.mean(samples[-q:]))
    return round(last / first - 1, 4) if first > 0 else None


def run(args: argparse.Namespace) -> dict:
    return asyncio.run(_run(args)) if not _loop_running() else _in_thread(args)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_thread(args: argparse.Namespace) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(_run(args))).result()


async def _run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="qis-soak-"))
    db_url = args.database_url or f"sqlite:///{tmp}/soak.db"
    clerk_key = "soak-clerk-" + os.urandom(12).hex()
    analyst_key = "soak-analyst-" + os.urandom(12).hex()
    env = {
        **os.environ,
        "QIS_HOME": str(Path(args.home).resolve()),
        "QIS_DATABASE_URL": db_url,
        "QIS_API_KEYS": f"clerk:soak-clerk:{clerk_key},analyst:soak-analyst:{analyst_key}",
        "QIS_RATE_LIMIT_PER_MINUTE": "0",
        "QIS_DAILY_QUOTA": "0",
    }
    server = Server(args.port or free_port(), env, tmp / "server.log")
    seconds = args.minutes * 60
    window = args.window_seconds or min(60.0, max(1.0, seconds / 10))
    warmup = args.warmup_minutes * 60 if args.warmup_minutes is not None else min(120, seconds / 5)
    result: dict = {
        "machine": f"{os.cpu_count()} cores",
        "database": db_url.split("://")[0],
        "workdir": str(tmp),
        "minutes": args.minutes,
        "window_s": window,
        "warmup_s": warmup,
    }
    try:
        result["startup_s"] = round(server.start(), 1)
        rows = dev_rows()
        proposals = await ticket_proposals(server.base, rows)
        mix = Mix(server.base, clerk_key, rows, proposals)
        if args.rate:
            rate = args.rate
        else:
            cap = await measure_capacity(mix, args.capacity_clients, args.capacity_seconds)
            result["capacity"] = cap
            rate = max(0.2, round(cap["operations_per_s"] * args.share, 2))
        result["rate_ops_per_s"] = rate
        rec, rss, info = await soak(
            mix,
            analyst_key,
            server.proc.pid,
            rate,
            seconds,
            args.export_seconds or max(window, 5.0),
            args.rss_seconds or max(0.5, min(5.0, window / 4)),
            args.max_in_flight,
        )
    finally:
        server.stop()
    result["soak"] = info
    ws = windows(rec, window, seconds)
    after = [w for w in ws if w["start_s"] >= warmup] or ws
    steady = [r for r in rss if r[0] >= warmup] or rss
    names = sorted(set(rec.name))
    ms, code = np.asarray(rec.ms), np.asarray(rec.name)
    result["endpoints"] = {
        n: {
            "requests": int((code == n).sum()),
            "p50_ms": round(float(np.percentile(ms[code == n], 50)), 1),
            "p99_ms": round(float(np.percentile(ms[code == n], 99)), 1),
        }
        for n in names
    }
    result["errors"] = sum(rec.errors.values())
    result["error_kinds"] = dict(rec.errors.most_common(10))
    result["windows"] = ws
    result["p99_drift"] = drift([w["p99_ms"] for w in after])
    for key, col in (("rss_kb", 1), ("tree_rss_kb", 2)):  # the service; with its worker
        result[key] = {
            "first": rss[0][col] if rss else None,
            "after_warmup_first": steady[0][col] if steady else None,
            "last": rss[-1][col] if rss else None,
            "max": max(r[col] for r in rss) if rss else None,
            "samples": len(rss),
        }
    result["rss_growth"] = growth([r[1] for r in steady])
    result["tree_rss_growth"] = growth([r[2] for r in steady])
    result["ok"] = passed(result, args.max_p99_drift, args.max_rss_growth)
    return result


def passed(r: dict, max_drift: float, max_growth: float) -> bool:
    return (
        r["errors"] == 0
        and r["p99_drift"] is not None
        and r["p99_drift"] <= max_drift
        and all(r[k] is not None and r[k] <= max_growth for k in ("rss_growth", "tree_rss_growth"))
    )


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=30, help="length of the soak")
    ap.add_argument("--rate", type=float, default=0, help="operations/s; 0: share × capacity")
    ap.add_argument("--share", type=float, default=0.7, help="share of the measured capacity")
    ap.add_argument("--capacity-seconds", type=float, default=60)
    ap.add_argument("--capacity-clients", type=int, default=8)
    ap.add_argument(
        "--warmup-minutes",
        type=float,
        default=None,
        help="excluded from drift and growth (default: a fifth of the run, at most 2)",
    )
    ap.add_argument("--window-seconds", type=float, default=0, help="default: 60 (or run/10)")
    ap.add_argument("--export-seconds", type=float, default=60, help="between workbook exports")
    ap.add_argument("--rss-seconds", type=float, default=0, help="between RSS samples")
    ap.add_argument("--max-in-flight", type=int, default=64)
    ap.add_argument("--max-p99-drift", type=float, default=0.20)
    ap.add_argument("--max-rss-growth", type=float, default=0.05)
    ap.add_argument("--home", default=str(REPO / "var"), help="QIS_HOME with the index to serve")
    ap.add_argument("--database-url", default="", help="default: a new SQLite file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run(args)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
