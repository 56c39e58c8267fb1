"""Per-client rate limiting (token bucket), as ASGI middleware.

A client is its API key's name if it sent a key the service knows, else its address: a made-up
key must not buy a fresh budget, or rotating keys would lift the limit. The address is the TCP
peer's, or what a trusted reverse proxy forwarded (``QIS_TRUSTED_PROXIES``, none by default;
:class:`service.security.ClientAddress`), so a forged ``X-Forwarded-For`` buys nothing either.

Requests are charged by their cost, not only counted (issue 23): a request needs one token to be
let in, and when it is answered it is charged one token per ``QIS_RATE_LIMIT_COST_SECONDS`` of
service it had (at least the one). Service time is measured on a processor-sharing clock
(:class:`ServiceClock`): it runs at ``min(1, cores / requests in flight)``, so a request alone
is charged its wall time, and one of many sharing the cores is charged its share, not the time it
queued behind the others (a busy service does not make honest clients pay for each other). A
client that sends long, slow requests runs out as many times faster as its requests are dearer:
its share of the service is about ``rate_limit_per_minute × cost_seconds`` seconds a minute,
however it spends them. The balance may go below zero (the client then waits until it is
repaid), at most one bucket deep.

Health and metrics are exempt so that monitoring never locks itself out.
"""

from __future__ import annotations

import os
import threading
import time

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.security import ClientAddress, KeyRing

EXEMPT = ("/health", "/metrics", "/static/")


class TokenBuckets:
    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(1, per_minute // 2))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _refilled(self, client: str, now: float) -> float:
        tokens, last = self._buckets.get(client, (self.capacity, now))
        return min(self.capacity, tokens + (now - last) * self.rate)

    def take(self, client: str, now: float | None = None) -> float:
        """0 if allowed (one token taken), else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens = self._refilled(client, now)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate

    def charge(self, client: str, tokens: float, now: float | None = None) -> None:
        """Take ``tokens`` more (a request's cost beyond its first token); the balance may go
        negative, down to one bucket's depth."""
        if tokens <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            left = self._refilled(client, now) - tokens
            self._buckets[client] = (max(left, -self.capacity), now)

    def balance(self, client: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            return self._refilled(client, now)


class ServiceClock:
    """Processor-sharing virtual time: it advances at ``min(1, cores / requests in flight)``
    per second, so what a request sees of it approximates the processor time it had."""

    def __init__(self, cores: int | None = None) -> None:
        if cores is None:
            try:
                cores = len(os.sched_getaffinity(0))
            except (AttributeError, OSError):
                cores = os.cpu_count() or 1
        self.cores = max(1, cores)
        self._lock = threading.Lock()
        self._virtual = 0.0
        self._last = time.monotonic()
        self._in_flight = 0

    def _advance(self, now: float) -> None:
        share = min(1.0, self.cores / self._in_flight) if self._in_flight else 1.0
        self._virtual += max(0.0, now - self._last) * share
        self._last = now

    def start(self, now: float | None = None) -> float:
        """A request begins: the virtual time to hand back to :meth:`stop`."""
        with self._lock:
            self._advance(time.monotonic() if now is None else now)
            self._in_flight += 1
            return self._virtual

    def stop(self, started: float, now: float | None = None) -> float:
        """A request ends: the service time it had (virtual seconds)."""
        with self._lock:
            self._advance(time.monotonic() if now is None else now)
            self._in_flight = max(0, self._in_flight - 1)
            return self._virtual - started


def client_id(request: Request, keys: KeyRing | None, address: ClientAddress) -> str:
    """Who a request is for the limits: a known key's holder, else its address (so a made-up key
    buys no fresh budget). The rate limit and the daily quota count the same clients."""
    who = keys.identify(request.headers.get("x-api-key")) if keys else None
    if who:
        return f"k:{who.role}:{who.name}"
    peer = request.client.host if request.client else None
    return "a:" + address(peer, request.headers)


class RateLimitMiddleware(BaseHTTPMiddleware):
    def __init__(
        self,
        app,
        per_minute: int,
        keys: KeyRing | None = None,
        address: ClientAddress | None = None,
        cost_seconds: float = 0.0,
    ) -> None:
        super().__init__(app)
        self.buckets = TokenBuckets(per_minute)
        self.keys = keys
        self.address = address or ClientAddress()
        self.cost_seconds = cost_seconds
        self.clock = ServiceClock()

    def client_of(self, request: Request) -> str:
        return client_id(request, self.keys, self.address)

    async def dispatch(self, request: Request, call_next):
        if request.url.path.startswith(EXEMPT):
            return await call_next(request)
        client = self.client_of(request)
        request.state.qis_client = client  # the daily quota (service.quota) needs it too
        wait = self.buckets.take(client)
        if wait > 0:
            return JSONResponse(
                {"detail": "too many requests; slow down"},
                status_code=429,
                headers={"Retry-After": str(int(wait) + 1)},
            )
        started = self.clock.start()
        try:
            response = await call_next(request)
        finally:
            served = self.clock.stop(started)
            if self.cost_seconds > 0:
                self.buckets.charge(client, served / self.cost_seconds - 1)
        return response
