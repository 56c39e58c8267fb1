"""Latency of the match endpoint under concurrent clients, over loopback HTTP.

Starts `qis-match serve` (the real server, current index in QIS_HOME, a throw-away database, no
rate limit) on a free loopback port, then N async clients post the dev-set requests in a loop for a
bounded time, and prints p50/p95/p99 and throughput. Only 127.0.0.1 is ever contacted.

    python -m benchmarks.service_latency --clients 8 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dev_requests() -> list[dict]:
    with open(REPO / "data/eval/dev.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{"text": r["text"], "region": r["region"] or None} for r in rows]


async def run_clients(
    base: str, n_clients: int, seconds: float, bodies: list[dict]
) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def client(k: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            i = k
            while time.perf_counter() < deadline:
                body = bodies[i % len(bodies)]
                i += n_clients
                t0 = time.perf_counter()
                r = await c.post("/api/v1/match", json=body)
                latencies.append((time.perf_counter() - t0) * 1000)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

    await asyncio.gather(*(client(k) for k in range(n_clients)))
    return latencies, codes


@contextmanager
def server(env: dict, workers: int = 1) -> Iterator[str]:
    """The real server (`qis-match serve`) on a free loopback port; yields its base URL."""
    tmp = tempfile.mkdtemp()
    env = {
        "QIS_RATE_LIMIT_PER_MINUTE": "0",
        "QIS_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        "QIS_API_KEYS": "admin:bench:" + "b" * 32,
        **env,
    }
    port = free_port()
    cmd = [sys.executable, "-m", "qis_match.cli", "serve", "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:])
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with server(dict(os.environ), args.workers) as base:
        bodies = dev_requests()
        asyncio.run(run_clients(base, args.clients, args.warmup, bodies))
        lat, codes = asyncio.run(run_clients(base, args.clients, args.seconds, bodies))
    a = np.asarray(lat)
    result = {
        "clients": args.clients,
        "workers": args.workers,
        "seconds": args.seconds,
        "requests": int(a.size),
        "throughput_rps": round(a.size / args.seconds, 1),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "p99_ms": round(float(np.percentile(a, 99)), 1),
        "status_codes": codes,
        "machine": f"{os.cpu_count()} cores",
    }
    print(
        json.dumps(result, ensure_ascii=False)
        if args.json
        else "\n".join(f"{k:15s} {v}" for k, v in result.items())
    )
    return 0 if set(codes) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
