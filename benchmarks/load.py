"""Load, concurrency and restart test of the real service over loopback (issue #9).

One command runs three things against ``qis-match serve`` (a real uvicorn process on a free
127.0.0.1 port, the index in QIS_HOME, a throw-away ticket database unless --database-url):

1. **Load** — ``--clients`` windows (each from its own loopback address 127.0.0.x, so each has its
   own rate-limit budget, as separate windows would) post the dev-set requests to
   ``POST /api/v1/match`` and ``GET /api/v1/search`` in a loop for ``--seconds``; at the same time
   ``--clerks`` clerks (each with its own key) create tickets, race each other to move the same
   few tickets forward (optimistic locking) and add feedback; and two abusers send twice what
   the rate limit allows, one by address and one rotating made-up API keys. Reported: errors, p50/p95/p99
   and requests/s per endpoint, 409 conflicts, and what the abusers got through against the
   token bucket's bound (burst + rate × time).
2. **Restart** — the clerks keep writing while the server is killed (SIGKILL: a crash, not a
   polite shutdown) half-way through ``--restart-seconds`` and started again on the same port
   and database.
3. **Check against the database** (read directly with SQLAlchemy, not through the API): every
   acknowledged create, status change and feedback is there exactly once and made by the clerk
   who was told it succeeded; nothing is there that no clerk sent; every ticket's history is one
   event per step and its version counts them; no ticket is half-written (no referral or no first
   event); stored request texts and the server's log hold no phone number of the requests, and
   the log holds no API key.

    python -m benchmarks.load                      # 50 clients, 20 clerks, 60 s + 20 s restart
    python -m benchmarks.load --clients 5 --clerks 4 --seconds 3 --restart-seconds 6   # smoke

Exit status 0 only when there were no errors and every check passed. Only 127.0.0.x is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
STATUSES = ("受理", "已转介", "机构已受理", "办结", "已回访")
log = logging.getLogger("benchmarks.load")


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`qis-match serve` in a subprocess; its log goes to a file that the checks read."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port, self.env, self.log_path = port, env, log_path
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> float:
        """Start and wait until /health is ok; returns the seconds it took."""
        t0 = time.perf_counter()
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "qis_match.cli", "serve", "-v"]
                + ["--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=REPO,
                stdout=logf,
                stderr=subprocess.STDOUT,
            )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + self._log_tail())
            try:
                h = httpx.get(self.base + "/health", timeout=2)
                if h.status_code == 200:
                    return time.perf_counter() - t0
                if h.json().get("index_version") is None:  # the index is loaded before serving
                    self.stop()
                    raise RuntimeError("server has no usable index:\n" + self._log_tail())
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become healthy:\n" + self._log_tail())

    def _log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# --------------------------------------------------------------------------- workload data


def dev_rows() -> list[dict]:
    with open(REPO / "data/eval/dev.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{"text": r["text"], "region": r["region"] or None} for r in rows]


def personal_strings(texts: list[str]) -> list[str]:
    """Phone numbers, ID numbers and e-mails in the requests as sent (digits of at least 7)."""
    from qis_match.understanding.redact import find_personal_data

    out = set()
    for t in texts:
        for p in find_personal_data(t):
            s = t[p.start : p.end]
            if p.kind != "person" and sum(c.isdigit() for c in s) >= 7:
                out.add(s)
    return sorted(out)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    codes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[str] = field(default_factory=list)

    def add(self, name: str, ms: float, code: int | str) -> None:
        self.latencies[name].append(ms)
        self.codes[name][code] += 1


@dataclass
class Ledger:
    """What the clerks were told succeeded, and what they cannot know (cut off mid-request)."""

    created: dict[str, int] = field(default_factory=dict)  # marker → ticket id
    created_unknown: set[str] = field(default_factory=set)
    moved: dict[tuple[int, str], str] = field(default_factory=dict)  # (ticket, to) → clerk
    moved_unknown: set[tuple[int, str]] = field(default_factory=set)
    feedback: set[str] = field(default_factory=set)  # comment markers
    feedback_unknown: set[str] = field(default_factory=set)
    conflicts: int = 0
    hot: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- clients


def _sent_maybe(exc: Exception) -> bool:
    """Whether a failed request may have reached the server (its outcome is then unknown)."""
    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


async def reader(
    k: int, base: str, rows: list[dict], deadline: float, st: Stats, tolerate: bool
) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{10 + k}")
    async with httpx.AsyncClient(base_url=base, timeout=60, transport=transport) as c:
        i = k
        while time.perf_counter() < deadline:
            row = rows[i % len(rows)]
            i += 1
            if i % 2:
                name, call = "match", c.post("/api/v1/match", json=row)
            else:
                params = {"q": row["text"][:60], "top_k": 10}
                if row["region"]:
                    params["region"] = row["region"]
                name, call = "search", c.get("/api/v1/search", params=params)
            t0 = time.perf_counter()
            try:
                r = await call
            except httpx.HTTPError as exc:
                if not tolerate:
                    st.errors.append(f"{name}: {type(exc).__name__}")
                st.codes[name][type(exc).__name__] += 1
                await asyncio.sleep(0.2)
                continue
            st.add(name, (time.perf_counter() - t0) * 1000, r.status_code)
            if r.status_code != 200 and not tolerate:
                st.errors.append(f"{name}: {r.status_code} {r.text[:200]}")


async def abuser(
    base: str, address: str, rotate_keys: bool, rate: float, deadline: float, out: Counter
) -> None:
    """``rate`` requests/s from one address, open loop, several in flight (a queue at the server
    must not slow the abuser down); with ``rotate_keys`` a new made-up key each time."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base, timeout=30, transport=transport) as c:
        t0 = time.perf_counter()
        sent = 0

        async def one() -> None:
            h = {"X-API-Key": f"made-up-key-{random.getrandbits(64):016x}"} if rotate_keys else {}
            try:
                r = await c.get("/api/v1/resources/nope", headers=h)
            except httpx.HTTPError as exc:
                out[type(exc).__name__] += 1
                return
            out[r.status_code] += 1
            if r.status_code == 429 and not r.headers.get("retry-after"):
                out["429_without_retry_after"] += 1

        pending: set[asyncio.Task] = set()
        while time.perf_counter() < deadline:
            task = asyncio.create_task(one())
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
            await asyncio.sleep(max(0.0, t0 + sent / rate - time.perf_counter()))
        if pending:
            await asyncio.gather(*pending)
        out["seconds"] = round(time.perf_counter() - t0, 2)


async def clerk(
    k: int,
    base: str,
    key: str,
    proposals: list[dict],
    deadline: float,
    led: Ledger,
    st: Stats,
    tolerate: bool,
    phase: str = "load",
) -> None:
    """Create tickets, move the shared hot tickets forward (racing), add feedback."""
    name = f"clerk-{k:02d}"
    rng = random.Random(k)
    n = 0
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"X-API-Key": key}) as c:
        while time.perf_counter() < deadline:
            n += 1
            marker = f"load-{phase}-{name}-{n}"
            op = rng.random()
            t0 = time.perf_counter()
            try:
                if op < 0.3 or not led.hot:
                    p = proposals[rng.randrange(len(proposals))]
                    choices = [dict(ch) for ch in p["choices"]]
                    choices[0]["override_reason"] = marker
                    body = {"text": p["text"], "region": p["region"], "choices": choices}
                    op_name = "ticket_create"
                    try:
                        r = await c.post("/api/v1/tickets", json=body)
                    except httpx.HTTPError as exc:
                        if _sent_maybe(exc):
                            led.created_unknown.add(marker)
                        raise
                    if r.status_code == 201:
                        led.created[marker] = r.json()["id"]
                        led.hot.append(r.json()["id"])
                        del led.hot[:-5]  # clerks race on the five newest tickets
                elif op < 0.8:
                    op_name = "ticket_status"
                    tid = rng.choice(led.hot)
                    g = await c.get(f"/api/v1/tickets/{tid}")
                    if g.status_code != 200:
                        r = g
                    else:
                        t = g.json()
                        if t["next_status"] is None:
                            if tid in led.hot:
                                led.hot.remove(tid)
                            continue
                        body = {"status": t["next_status"], "version": t["version"]}
                        try:
                            r = await c.post(f"/api/v1/tickets/{tid}/status", json=body)
                        except httpx.HTTPError as exc:
                            if _sent_maybe(exc):
                                led.moved_unknown.add((tid, t["next_status"]))
                            raise
                        if r.status_code == 200:
                            key_ = (tid, t["next_status"])
                            if key_ in led.moved:
                                st.errors.append(f"two clerks told they made {key_}")
                            led.moved[key_] = name
                        elif r.status_code == 409:
                            led.conflicts += 1
                else:
                    op_name = "ticket_feedback"
                    tid = rng.choice(list(led.created.values()) or led.hot)
                    body = {"rating": rng.randint(1, 5), "comment": marker}
                    try:
                        r = await c.post(f"/api/v1/tickets/{tid}/feedback", json=body)
                    except httpx.HTTPError as exc:
                        if _sent_maybe(exc):
                            led.feedback_unknown.add(marker)
                        raise
                    if r.status_code == 200:
                        led.feedback.add(marker)
            except httpx.HTTPError as exc:
                if not tolerate:
                    st.errors.append(f"clerk: {type(exc).__name__}")
                st.codes["clerk_transport"][type(exc).__name__] += 1
                await asyncio.sleep(0.2)
                continue
            st.add(op_name, (time.perf_counter() - t0) * 1000, r.status_code)
            if (
                r.status_code == 429
            ):  # over its key's budget: refused, nothing written; wait as told
                retry = r.headers.get("Retry-After", "1")
                await asyncio.sleep(min(2.0, float(retry) if retry.isdigit() else 1.0))
                continue
            if r.status_code not in (200, 201, 409) and not (tolerate and r.status_code == 503):
                st.errors.append(f"{op_name}: {r.status_code} {r.text[:200]}")


async def ticket_proposals(base: str, rows: list[dict], want: int = 12) -> list[dict]:
    """Requests with at least one referral, and their first referral per need (no reason needed)."""
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for row in rows:
            if len(out) >= want:
                break
            r = await c.post("/api/v1/match", json=row)
            if r.status_code != 200:
                continue
            choices = [
                {"category": b["category"], "institution_id": b["referrals"][0]["resource_id"]}
                for b in r.json()["bundle"]
                if b["referrals"]
            ]
            if choices:
                out.append({**row, "choices": choices})
    if not out:
        raise RuntimeError("no request of the dev set has a referral on this index")
    return out


# --------------------------------------------------------------------------- the checks


def check_database(url: str, led: Ledger, personal: list[str]) -> dict:
    """Compare what clerks were told with what the database holds."""
    import sqlalchemy as sa

    from qis_match.store.tickets import Feedback, Ticket, TicketEvent, TicketReferral

    engine = sa.create_engine(url)
    problems: list[str] = []
    with engine.connect() as c:
        tickets = {
            r.id: r
            for r in c.execute(
                sa.select(Ticket.id, Ticket.version, Ticket.status, Ticket.request_text)
            )
        }
        events = defaultdict(list)
        for r in c.execute(sa.select(TicketEvent).order_by(TicketEvent.id)):
            events[r.ticket_id].append(r)
        refs = defaultdict(list)
        for r in c.execute(sa.select(TicketReferral)):
            refs[r.ticket_id].append(r)
        comments = Counter(r.comment for r in c.execute(sa.select(Feedback.comment)))
    engine.dispose()

    markers = Counter(r.override_reason for rs in refs.values() for r in rs if r.override_reason)
    for m, tid in led.created.items():
        if markers[m] != 1:
            problems.append(f"acknowledged ticket {tid} ({m}) is stored {markers[m]} times")
    for m in markers:
        if m.startswith("load-") and m not in led.created and m not in led.created_unknown:
            problems.append(f"a ticket nobody sent: {m}")
    for tid, t in tickets.items():
        ev = [e.to_status for e in events[tid]]
        if not refs[tid]:
            problems.append(f"ticket {tid} has no referral (half-written)")
        if ev != list(STATUSES[: len(ev)]) or not ev:
            problems.append(f"ticket {tid} history is {ev}")
        if t.version != len(ev) or t.status != ev[-1]:
            problems.append(f"ticket {tid}: version {t.version}, status {t.status}, events {ev}")
    for (tid, to), who in led.moved.items():
        made = [e for e in events[tid] if e.to_status == to]
        if len(made) != 1 or made[0].actor != who:
            problems.append(
                f"acknowledged move of {tid} to {to} by {who}: stored {[e.actor for e in made]}"
            )
    for tid, to in {(e.ticket_id, e.to_status) for es in events.values() for e in es}:
        if (
            to != STATUSES[0]
            and tid in set(led.created.values())
            and (tid, to) not in led.moved
            and (tid, to) not in led.moved_unknown
        ):
            problems.append(f"a status change nobody was told about: {tid} → {to}")
    for m in led.feedback:
        if comments[m] != 1:
            problems.append(f"acknowledged feedback {m} stored {comments[m]} times")
    for m in comments:
        if m and m.startswith("load-") and m not in led.feedback and m not in led.feedback_unknown:
            problems.append(f"feedback nobody sent: {m}")
    leaked = [p for p in personal if any(p in (t.request_text or "") for t in tickets.values())]
    if leaked:
        problems.append(f"personal data stored in request texts: {leaked[:3]}")
    return {
        "tickets": len(tickets),
        "acknowledged_creates": len(led.created),
        "acknowledged_status_changes": len(led.moved),
        "acknowledged_feedback": len(led.feedback),
        "unknown_outcome_writes": len(led.created_unknown)
        + len(led.moved_unknown)
        + len(led.feedback_unknown),
        "version_conflicts_409": led.conflicts,
        "problems": problems,
    }


def summarize(st: Stats, seconds: float) -> dict:
    out = {}
    for name, lat in sorted(st.latencies.items()):
        a = np.asarray(lat)
        out[name] = {
            "requests": int(a.size),
            "rps": round(a.size / seconds, 1),
            "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1),
            "status": {str(k): v for k, v in st.codes[name].items()},
        }
    for name, codes in st.codes.items():
        if name not in out:
            out[name] = {"status": dict(codes)}
    return out


def bucket_bound(per_minute: int, seconds: float) -> int:
    """Most requests one client can get through a token bucket (service.ratelimit) in ``seconds``."""
    return int(max(1, per_minute // 2) + per_minute / 60 * seconds) + 1


# --------------------------------------------------------------------------- main


async def _phase_load(args, base, keys, rows, proposals, led) -> dict:
    st = Stats()
    deadline = time.perf_counter() + args.seconds
    abuse: dict[str, Counter] = {"by_address": Counter(), "rotating_keys": Counter()}
    tasks = [reader(k, base, rows, deadline, st, False) for k in range(args.clients)]
    tasks += [
        clerk(k, base, keys[k], proposals, deadline, led, st, False) for k in range(args.clerks)
    ]
    if args.rate_limit > 0:
        # Twice what the bucket lets through over the phase (burst included), at least 2× the rate.
        rate = 2 * bucket_bound(args.rate_limit, args.seconds) / args.seconds
        tasks.append(abuser(base, "127.0.0.250", False, rate, deadline, abuse["by_address"]))
        tasks.append(abuser(base, "127.0.0.251", True, rate, deadline, abuse["rotating_keys"]))
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    result = {
        "seconds": round(elapsed, 1),
        "endpoints": summarize(st, elapsed),
        "errors": st.errors[:20],
        "error_count": len(st.errors),
    }
    if args.rate_limit > 0:
        rl = {}
        for name, c in abuse.items():
            bound = bucket_bound(args.rate_limit, c["seconds"])
            ok = c[404]  # the resource does not exist: anything but 429 got through
            rl[name] = {
                "sent": sum(v for k, v in c.items() if isinstance(k, int)),
                "let_through": ok,
                "refused_429": c[429],
                "bound": bound,
                "holds": ok <= bound and c[429] > 0 and not c["429_without_retry_after"],
            }
        result["rate_limit"] = {"per_minute": args.rate_limit, **rl}
    return result


async def _phase_restart(args, server: Server, keys, proposals, led, rows) -> dict:
    st = Stats()
    half = args.restart_seconds / 2
    deadline = time.perf_counter() + args.restart_seconds
    tasks = [
        clerk(k, server.base, keys[k], proposals, deadline, led, st, True, "restart")
        for k in range(args.clerks)
    ]
    tasks += [reader(k, server.base, rows, deadline, st, True) for k in range(min(4, args.clients))]

    async def crash_and_restart() -> dict:
        await asyncio.sleep(half)
        t0 = time.perf_counter()
        server.kill()
        startup = await asyncio.to_thread(server.start)
        return {
            "killed_after_s": half,
            "down_s": round(time.perf_counter() - t0, 1),
            "startup_s": round(startup, 1),
        }

    *_, restart = await asyncio.gather(*tasks, crash_and_restart())
    # Every acknowledged ticket is served by the restarted process (one listing, paged: a
    # request per ticket would run into the clerk's own rate limit).
    served: set[int] = set()
    async with httpx.AsyncClient(
        base_url=server.base, timeout=60, headers={"X-API-Key": keys[0]}
    ) as c:
        offset = 0
        while True:
            r = await c.get("/api/v1/tickets", params={"limit": 500, "offset": offset})
            r.raise_for_status()
            page = r.json()["tickets"]
            served |= {t["id"] for t in page}
            if len(page) < 500:
                break
            offset += 500
    missing = sorted(set(led.created.values()) - served)
    return {
        **restart,
        "endpoints": summarize(st, args.restart_seconds),
        "errors": st.errors[:20],
        "error_count": len(st.errors),
        "acknowledged_tickets_missing_after_restart": missing,
    }


def run(args: argparse.Namespace) -> dict:
    """The whole benchmark. Its phases use ``asyncio.run``, which is refused in a thread that
    already runs an event loop (e.g. under Playwright's sync API): then it runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(args)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_run, args).result()


def _run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="qis-load-"))
    db_url = args.database_url or f"sqlite:///{tmp}/load.db"
    keys = [f"clerk-key-{k:02d}-" + os.urandom(12).hex() for k in range(max(1, args.clerks))]
    spec = ",".join(f"clerk:clerk-{k:02d}:{key}" for k, key in enumerate(keys))
    env = {
        **os.environ,
        "QIS_HOME": str(Path(args.home).resolve()),
        "QIS_DATABASE_URL": db_url,
        "QIS_API_KEYS": spec,
        "QIS_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
    }
    server = Server(args.port or free_port(), env, tmp / "server.log")
    rows = dev_rows()
    led = Ledger()
    result: dict = {
        "clients": args.clients,
        "clerks": args.clerks,
        "machine": f"{os.cpu_count()} cores (shared)",
        "database": db_url.split("://")[0],
        "workdir": str(tmp),  # the server's log and the SQLite database, kept for inspection
    }
    try:
        result["startup_s"] = round(server.start(), 1)
        proposals = asyncio.run(ticket_proposals(server.base, rows))
        asyncio.run(_warm(server.base, rows))
        result["load"] = asyncio.run(_phase_load(args, server.base, keys, rows, proposals, led))
        if args.restart_seconds > 0:
            result["restart"] = asyncio.run(
                _phase_restart(args, server, keys, proposals, led, rows)
            )
    finally:
        server.stop()
    result["database_check"] = check_database(
        db_url, led, personal_strings([r["text"] for r in rows])
    )
    logtext = server.log_path.read_text(encoding="utf-8", errors="replace")
    result["log_check"] = {
        "bytes": len(logtext),
        "keys_in_log": sum(k in logtext for k in keys),
        "personal_data_in_log": [
            p for p in personal_strings([r["text"] for r in rows]) if p in logtext
        ][:5],
    }
    result["ok"] = passed(result)
    return result


async def _warm(base: str, rows: list[dict]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for row in rows[:5]:
            await c.post("/api/v1/match", json=row)


def passed(r: dict) -> bool:
    load = r["load"]
    ok = load["error_count"] == 0 and all(
        v.get("holds", True) for v in load.get("rate_limit", {}).values() if isinstance(v, dict)
    )
    if "restart" in r:
        ok = (
            ok
            and r["restart"]["error_count"] == 0
            and not r["restart"]["acknowledged_tickets_missing_after_restart"]
        )
    db = r["database_check"]
    ok = ok and not db["problems"] and db["acknowledged_creates"] > 0
    return ok and r["log_check"]["keys_in_log"] == 0 and not r["log_check"]["personal_data_in_log"]


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=50, help="concurrent match/search clients")
    ap.add_argument("--clerks", type=int, default=20, help="concurrent clerks writing tickets")
    ap.add_argument("--seconds", type=float, default=60, help="length of the load phase")
    ap.add_argument("--restart-seconds", type=float, default=20, help="0: no restart phase")
    ap.add_argument(
        "--rate-limit", type=int, default=120, help="QIS_RATE_LIMIT_PER_MINUTE of the server"
    )
    ap.add_argument("--home", default=str(REPO / "var"), help="QIS_HOME with the index to serve")
    ap.add_argument(
        "--database-url", default="", help="ticket database (default: a new SQLite file)"
    )
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
