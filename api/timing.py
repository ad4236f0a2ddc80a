"""Where a request's time goes, logged at debug level: waiting for a connection, waiting
for locks, in the database, and in total (`shoplink --log-level debug serve`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from shoplink.workflows.db import BEGIN_WAITED
from shoplink.workflows.driver import PIPELINE_LISTENERS, in_pipeline

log = logging.getLogger("shoplink.api.timing")
PIPELINED_LOCK = "shoplink_pipelined_lock"


@dataclass
class Spent:
    """Seconds one request spent on each kind of wait."""

    connection: float = 0.0
    lock: float = 0.0
    database: float = 0.0


_current: ContextVar[Spent | None] = ContextVar("shoplink_request_spent", default=None)


def add(kind: str, seconds: float) -> None:
    spent = _current.get()
    if spent is not None:
        setattr(spent, kind, getattr(spent, kind) + seconds)


class TimedQueuePool(QueuePool):
    """The usual pool, counting how long each checkout waited for a free connection."""

    def _do_get(self) -> Any:
        start = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            add("connection", time.perf_counter() - start)


def instrument(engine: Engine) -> None:
    """Count statement time, and lock waits: SQLite's BEGIN IMMEDIATE (with the process's
    write turn before it), PostgreSQL's FOR UPDATE statements. Only when debug logging is
    on, like the middleware that reports them: the listeners cost every statement."""
    if not log.isEnabledFor(logging.DEBUG):
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["shoplink_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - conn.info.pop("shoplink_started", time.perf_counter())
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN is counted as a lock wait
            locking = "FOR UPDATE" in statement
            add("lock" if locking else "database", seconds)
            if locking and in_pipeline(cursor.connection):  # its wait comes at the block's end
                conn.info[PIPELINED_LOCK] = True

    def _pipeline_ended(conn: sa.Connection, seconds: float) -> None:
        if conn.engine is engine:
            add("lock" if conn.info.pop(PIPELINED_LOCK, False) else "database", seconds)

    PIPELINE_LISTENERS.append(_pipeline_ended)

    @event.listens_for(engine, "begin")
    def _begun(conn: Any) -> None:  # after db.py's listener took the turn and began
        add("lock", conn.info.pop(BEGIN_WAITED, 0.0))


def install(app: FastAPI) -> None:
    """Only when debug logging is on: the middleware itself costs every request time."""
    if not log.isEnabledFor(logging.DEBUG):
        return

    @app.middleware("http")
    async def timed(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        spent = Spent()
        token = _current.set(spent)
        start = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            _current.reset(token)
        total = time.perf_counter() - start
        log.debug("%s %s %d in %.1f ms: connection %.1f, locks %.1f, database %.1f",
                  request.method, request.url.path, response.status_code, total * 1000,
                  spent.connection * 1000, spent.lock * 1000, spent.database * 1000,
                  extra={"action": "request", "path": request.url.path,
                         "status": response.status_code, "total_ms": round(total * 1000, 2),
                         "connection_ms": round(spent.connection * 1000, 2),
                         "lock_ms": round(spent.lock * 1000, 2),
                         "database_ms": round(spent.database * 1000, 2)})
        return response
