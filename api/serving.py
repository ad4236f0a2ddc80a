"""How `shoplink serve` sizes one server process: threads, connections, and how long a
request may wait for one (then 503 with Retry-After). Workers read it from the environment."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

from fastapi import FastAPI

from shoplink.workflows.clock import Clock, utc_now

THREADS_VARIABLE = "SHOPLINK_SERVE_THREADS"
POOL_SIZE_VARIABLE = "SHOPLINK_POOL_SIZE"
POOL_TIMEOUT_VARIABLE = "SHOPLINK_POOL_TIMEOUT"
# On a 2-core machine more threads only queue for the GIL and the database's locks: 8 keep
# both cores busy while some requests wait on the database, and carried as much as 16 or
# more at 50 clients, with a shorter tail (docs/api.md).
DEFAULT_THREADS = 8
DEFAULT_POOL_TIMEOUT = 5.0


@dataclass(frozen=True)
class Sizing:
    """Threads of one process, its connection pool (one per thread unless told), and how
    long a request waits for a connection."""

    threads: int = DEFAULT_THREADS
    pool_size: int | None = None
    pool_timeout: float = DEFAULT_POOL_TIMEOUT

    @classmethod
    def from_environment(cls) -> Sizing:
        def read(name: str) -> str | None:
            return os.environ.get(name) or None

        threads, size, timeout = (read(THREADS_VARIABLE), read(POOL_SIZE_VARIABLE),
                                  read(POOL_TIMEOUT_VARIABLE))
        return cls(int(threads) if threads else DEFAULT_THREADS, int(size) if size else None,
                   float(timeout) if timeout else DEFAULT_POOL_TIMEOUT)

    def given(self, threads: int | None, pool_size: int | None,
              pool_timeout: float | None) -> Sizing:
        """These settings, overridden by the command's options where given."""
        return replace(self, threads=threads or self.threads,
                       pool_size=pool_size or self.pool_size,
                       pool_timeout=pool_timeout or self.pool_timeout)

    @property
    def connections(self) -> int:
        return self.pool_size or self.threads

    def environment(self, url: str) -> dict[str, str]:
        return {"SHOPLINK_DATABASE_URL": url, THREADS_VARIABLE: str(self.threads),
                POOL_SIZE_VARIABLE: str(self.connections),
                POOL_TIMEOUT_VARIABLE: str(self.pool_timeout)}


def application(url: str, sizing: Sizing, *, clock: Clock = utc_now,
                ttl: timedelta | None = None) -> FastAPI:
    """The API over a pool sized by `sizing`, running at most `sizing.threads` requests."""
    from shoplink.api import timing
    from shoplink.api.app import create_app
    from shoplink.workflows.db import make_engine

    engine = make_engine(url, poolclass=timing.TimedQueuePool, pool_size=sizing.connections,
                         max_overflow=0, pool_timeout=sizing.pool_timeout)
    timing.instrument(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = sizing.threads
        yield
        engine.dispose()

    app = create_app(engine, clock=clock, ttl=ttl, lifespan=lifespan)
    timing.install(app)
    return app


def from_environment() -> FastAPI:
    """The factory each `serve --workers N` process calls (uvicorn's `factory=True`)."""
    from shoplink.cli.app import App

    app = App()
    return application(app.url(), Sizing.from_environment(), ttl=app.invitation_ttl())
