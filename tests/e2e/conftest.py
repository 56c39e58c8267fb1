"""Fixtures of the page tests: the real app served by uvicorn on a loopback port (built from the
session's fixture index), and Debian's Chromium driven by Playwright.

Nothing is fetched from the internet: every request a page makes to another origin is aborted
and recorded, and each test fails if there was one.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLERK_KEY = "e2e-clerk-key-0123456789-abcdefgh"
ANALYST_KEY = "e2e-analyst-key-0123456789-abcdef"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@dataclass
class LiveServer:
    url: str
    store: object  # qis_match.store.tickets.TicketStore
    matcher: object  # qis_match.pipeline.Matcher
    clerk_key: str = CLERK_KEY
    analyst_key: str = ANALYST_KEY


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                f"{CHROMIUM} is missing: CI must install Debian's chromium for the e2e tests"
            )
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(chromium_path, built_settings, e5_encoder, tmp_path_factory):
    from qis_match.pipeline import Matcher
    from qis_match.store.tickets import TicketStore
    from service.app import create_app
    from service.security import KeyRing

    tmp = tmp_path_factory.mktemp("e2e")
    settings = built_settings.model_copy(update={"rate_limit_per_minute": 0})
    matcher = Matcher(settings, encoder=e5_encoder)
    store = TicketStore(f"sqlite:///{tmp}/e2e.db")
    keys = KeyRing.parse(f"clerk:e2e-clerk:{CLERK_KEY},analyst:e2e-analyst:{ANALYST_KEY}")
    app = create_app(settings, matcher=matcher, ticket_store=store, keys=keys)

    with serve(app) as url:
        yield LiveServer(url=url, store=store, matcher=matcher)


@contextmanager
def serve(app):
    """Serve an app with uvicorn on a free loopback port for the block; yields its URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What a page did that a test must not allow: dialogs, uncaught errors, foreign requests."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


@pytest.fixture()
def watch() -> Watch:
    return Watch()


@pytest.fixture()
def page(browser, live_server, watch):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)

    def route(r):
        if r.request.url.startswith(live_server.url + "/"):
            r.continue_()
        else:
            watch.foreign.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()

    def on_dialog(d):
        watch.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    yield pg
    context.close()
    assert not watch.foreign, f"pages tried to fetch from elsewhere: {watch.foreign}"
    assert not watch.errors, f"uncaught errors in the page: {watch.errors}"
    assert not watch.dialogs, f"a dialog fired: {watch.dialogs}"


@pytest.fixture(scope="session")
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
