"""Per-client rate limiting (token bucket), as ASGI middleware.

A client is its API key's name if it sent a key the service knows, else its address: a made-up
key must not buy a fresh budget, or rotating keys would lift the limit. Health and metrics are
exempt so that monitoring never locks itself out.
"""

from __future__ import annotations

import threading
import time

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.security import KeyRing

EXEMPT = ("/health", "/metrics", "/static/")


class TokenBuckets:
    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(1, per_minute // 2))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 if allowed, else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


class RateLimitMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, per_minute: int, keys: KeyRing | None = None) -> None:
        super().__init__(app)
        self.buckets = TokenBuckets(per_minute)
        self.keys = keys

    async def dispatch(self, request: Request, call_next):
        if request.url.path.startswith(EXEMPT):
            return await call_next(request)
        who = self.keys.identify(request.headers.get("x-api-key")) if self.keys else None
        client = (
            f"k:{who.role}:{who.name}"
            if who
            else "a:" + (request.client.host if request.client else "?")
        )
        wait = self.buckets.take(client)
        if wait > 0:
            return JSONResponse(
                {"detail": "too many requests; slow down"},
                status_code=429,
                headers={"Retry-After": str(int(wait) + 1)},
            )
        return await call_next(request)
