"""The FastAPI application: one window for the whole one-stop service.

``create_app(settings)`` loads the current index (a Matcher) and opens the ticket database
(migrating it), mounts the API and the pages, and adds rate limiting, a body-size limit,
Prometheus metrics and clear errors. Nothing here reads the environment except through Settings.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from starlette.middleware.base import BaseHTTPMiddleware

from qis_match.errors import IndexNotBuiltError, InputError
from qis_match.pipeline import Matcher
from qis_match.settings import Settings, get_settings
from qis_match.store.index_store import IndexStore, IndexVerifyError
from qis_match.store.tickets import (
    InvalidTransition,
    TicketError,
    TicketNotFound,
    TicketStore,
    VersionConflict,
)
from service.bodylimit import BodySizeLimit
from service.charset import JsonCharset
from service.deps import AppState
from service.docs import DOCS_CSP, DOCS_PATHS, mount_offline_docs
from service.openapi import document_error_details
from service.quota import DailyQuotaMiddleware
from service.ratelimit import RateLimitMiddleware
from service.reload import IndexReloader
from service.routers import analytics, catalog, index_admin, matching, ops, pages, tickets
from service.security import ClientAddress, KeyRing

log = logging.getLogger("qis_match.service")
STATIC = Path(__file__).parent / "static"


class SecurityHeaders(BaseHTTPMiddleware):
    """Pages only run their own scripts and cannot be framed; nothing is content-sniffed."""

    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not response.headers.get("content-type", "").startswith("text/html"):
            return response
        if request.url.path.startswith(DOCS_PATHS):
            response.headers.setdefault("Content-Security-Policy", DOCS_CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        else:
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
            )
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response


class Metrics(BaseHTTPMiddleware):
    def __init__(self, app, registry: CollectorRegistry) -> None:
        super().__init__(app)
        self.requests = Counter(
            "qis_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "qis_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )

    async def dispatch(self, request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.requests.labels(request.method, path, str(response.status_code)).inc()
        self.latency.labels(path).observe(time.perf_counter() - t0)
        return response


def _open(st: AppState, matcher: Matcher | None, ticket_store: TicketStore | None) -> None:
    s = st.settings
    if matcher is not None:
        st.matcher = matcher
    else:  # the newest version that verifies and loads; /health says so when not CURRENT's
        st.reloader.reload_now()
    try:
        st.store = ticket_store or TicketStore(s.db_url, s.time_limit_days)
    except (SQLAlchemyError, OSError) as exc:  # retried on use (deps.store)
        st.store_error = "database unavailable"
        log.error("database unavailable: %s", type(exc).__name__)


def create_app(
    settings: Settings | None = None,
    matcher: Matcher | None = None,
    ticket_store: TicketStore | None = None,
    keys: KeyRing | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    keys = keys if keys is not None else KeyRing.from_settings(settings)
    registry = CollectorRegistry()
    st = AppState(settings=settings, keys=keys, extra={"registry": registry})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if st.matcher is None and st.store is None:
            _open(st, matcher, ticket_store)
        # the scratch folders of builds killed since the last start (up to tens of MB each)
        IndexStore(settings.index_root).clean_leftovers()
        yield
        analytics.close_runner(st)
        if st.store is not None:
            st.store.close()

    app = FastAPI(
        title="qis-match — 质量基础设施一站式服务",
        version="0.1.0",
        description="Match enterprise requests to QI institutions; tickets, search and referrals.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets below: the CDN defaults are blank offline
        redoc_url=None,
    )
    app.state.qis = st
    st.reloader = IndexReloader(st, settings.index_check_seconds)
    _add_middleware(app, settings, keys, registry)
    _add_error_handlers(app)

    for router in (
        matching.router,
        tickets.router,
        catalog.router,
        ops.router,
        index_admin.router,
        pages.router,
    ):
        app.include_router(router)
    app.include_router(analytics.router)  # analyst API and page (issue #8)
    app.include_router(analytics.pages)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    mount_offline_docs(app)
    document_error_details(app)
    return app


def _add_middleware(app: FastAPI, settings: Settings, keys: KeyRing, registry) -> None:
    """Security headers, metrics, the daily quota, the rate limit, the charset of JSON bodies and
    the body size limit (the last added runs first)."""
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Metrics, registry=registry)
    if settings.daily_quota > 0 or settings.daily_quota_keyed > 0:  # inside the rate limit
        app.add_middleware(
            DailyQuotaMiddleware,
            per_day=settings.daily_quota,
            per_day_keyed=settings.daily_quota_keyed,
            keys=keys,
            address=ClientAddress(settings.trusted_proxies, settings.forwarded_header),
        )
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimitMiddleware,
            per_minute=settings.rate_limit_per_minute,
            keys=keys,
            address=ClientAddress(settings.trusted_proxies, settings.forwarded_header),
            cost_seconds=settings.rate_limit_cost_seconds,
        )
    app.add_middleware(JsonCharset)  # inside the size limit: a GB18030 body is counted first
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)


def _add_error_handlers(app: FastAPI) -> None:
    """Every error the engine or the store raises as a clear status and detail, never a 500."""

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(IndexNotBuiltError)
    async def _index(_: Request, exc: IndexNotBuiltError):
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(IndexVerifyError)
    async def _unverified(_: Request, exc: IndexVerifyError):
        log.error("%s", exc)  # where the rejected version lies is for the operator's log only
        return JSONResponse(
            {
                "detail": f"the new index version failed verification and was not published "
                f"({exc.report.reason}); the current version still serves"
            },
            status_code=503,
        )

    @app.exception_handler(TicketNotFound)
    async def _missing(_: Request, exc: TicketNotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(VersionConflict)
    async def _conflict(_: Request, exc: VersionConflict):
        return JSONResponse({"detail": str(exc), "code": "version_conflict"}, status_code=409)

    @app.exception_handler(InvalidTransition)
    async def _transition(_: Request, exc: InvalidTransition):
        return JSONResponse({"detail": str(exc), "code": "invalid_transition"}, status_code=409)

    @app.exception_handler(TicketError)
    async def _ticket(_: Request, exc: TicketError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _db_down(_: Request, exc: DBAPIError):
        log.error("database error: %s", type(exc).__name__)
        return JSONResponse({"detail": "database unavailable; try again shortly"}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        errors = [
            {"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)
