"""Browser tests: Debian's Chromium driven by Playwright, against the app served in-process.

One browser per test session; each test gets its own server (uvicorn in a thread, on a
free loopback port) over its database, with a clock the test moves. Without Chromium or
Playwright the tests skip with the reason; under CI=true they fail instead.

They run on SQLite only, and the whole workflow by clicks on PostgreSQL too
(`on_every_backend`): a page parses, calls one service function and renders, and the
service layer under it (links, rules, tokens, the pages' sessions) is proven on both
backends by the integration, API and CLI tests. What a browser adds (layout, axe, CSRF,
cookies) does not depend on the database, and it is the suite's costliest part.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from shoplink.workflows.uow import UnitOfWork
from tests.conftest import BACKENDS, T0, empty_database, unavailable

CHROMIUM = os.environ.get("SHOPLINK_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}


# The browser tests' database: SQLite, unless a test is marked `on_every_backend`.
on_every_backend = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated SQLite database (or each backend, for `on_every_backend`)."""
    return empty_database(request, tmp_path)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@dataclass
class TestClock:
    """The server's clock: tests move `now`, every request reads it."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    """A running server: its address, database and clock, and helpers to seed the world."""

    url: str
    engine: sa.Engine
    clock: TestClock
    contexts: list[Any] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def token(self, *, shop: str | None = None, account: str | None = None) -> str:
        from shoplink.workflows.tokens import issue_token

        return issue_token(self.uow(), self.clock.now, shop_ref=shop, username=account)["token"]


@pytest.fixture
def site(engine: sa.Engine) -> Iterator[Site]:
    """`create_app` under uvicorn in a thread, on 127.0.0.1 and a free port."""
    import uvicorn

    from shoplink.api.app import create_app

    clock = TestClock()
    server = uvicorn.Server(uvicorn.Config(create_app(engine, clock=clock), host="127.0.0.1",
                                           port=0, log_level="info", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Site(f"http://127.0.0.1:{port}", engine, clock)
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def person(browser: Any, site: Site) -> Iterator[Any]:
    """Builds a person: their own browser context (cookies), at a desktop or phone width."""
    contexts: list[Any] = []

    def build(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(base_url=site.url,
                                      viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield build
    for context in contexts:
        context.close()


def sign_in(page: Any, area: str, token: str) -> None:
    """Sign in at /seller/login or /app/login with the keyboard-free happy path."""
    page.goto(f"/{area}/login")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/{area}/")
