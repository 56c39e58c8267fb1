"""Per-client daily quotas on the public API (issue 22), beside the per-minute rate limit.

The rate limit (``service.ratelimit``) bounds how fast a client may go; it still lets one client
send 120 × 60 × 24 ≈ 170,000 requests a day into the demand log. The quota bounds the day:
``QIS_DAILY_QUOTA`` requests to ``/api/`` per client and UTC day (default 2,000: far more than an
enterprise or a window types, far less than a flood), then 429 with a JSON ``code`` of
``daily_quota`` and ``Retry-After`` up to the next UTC midnight.

Who the client is, as for the rate limit: a key the service knows is its key's holder, anything
else (no key, a made-up key) is its address, so rotating keys buys nothing. Decided for staff:
clients with a known key (clerks, admins, analysts: people the province issued a key to, whose
requests are tickets and exports rather than public demand) are not counted against the public
quota; ``QIS_DAILY_QUOTA_KEYED`` gives them a daily bound of their own (0, the default: none
beyond the per-minute rate limit). Health, metrics and static files are never counted.

Only requests the rate limit let through are counted (the quota runs inside it). Counts are per
process and kept for the current day only (with ``--workers N`` each worker counts alone).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.ratelimit import EXEMPT, client_id
from service.security import ClientAddress, KeyRing

DAY = 86400


def _now() -> float:
    """Wall time (UTC seconds); a seam for the tests' day change."""
    return time.time()


class DailyCounts:
    """Requests per client in the current UTC day; the previous day's counts are dropped when
    the day changes, so memory is bounded by one day's clients."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock
        self._day = -1
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, client: str, limit: int) -> float:
        """0 if the client is within ``limit`` today (and counted), else seconds to midnight UTC."""
        now = (self.clock or _now)()
        day = int(now // DAY)
        with self._lock:
            if day != self._day:
                self._day, self._counts = day, {}
            used = self._counts.get(client, 0)
            if used >= limit:
                return (day + 1) * DAY - now
            self._counts[client] = used + 1
            return 0.0


class DailyQuotaMiddleware(BaseHTTPMiddleware):
    def __init__(
        self,
        app,
        per_day: int,
        per_day_keyed: int = 0,
        keys: KeyRing | None = None,
        address: ClientAddress | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(app)
        self.per_day = per_day
        self.per_day_keyed = per_day_keyed
        self.keys = keys
        self.address = address or ClientAddress()
        self.counts = DailyCounts(clock)

    def client_of(self, request: Request) -> str:
        return client_id(request, self.keys, self.address)

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if not path.startswith("/api/") or path.startswith(EXEMPT):
            return await call_next(request)
        # who the rate limit found (a key costs an scrypt the first time: not twice), else the same
        client = getattr(request.state, "qis_client", None) or self.client_of(request)
        limit = self.per_day_keyed if client.startswith("k:") else self.per_day
        if limit <= 0:
            return await call_next(request)
        wait = self.counts.take(client, limit)
        if wait > 0:
            return JSONResponse(
                {
                    "detail": f"daily quota of {limit} requests reached for this client; "
                    "try again after 00:00 UTC",
                    "code": "daily_quota",
                    "limit": limit,
                },
                status_code=429,
                headers={"Retry-After": str(int(wait) + 1)},
            )
        return await call_next(request)
