"""Engines and sessions for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from shoplink.workflows.driver import refuse_in_pipeline
from shoplink.workflows.errors import BadInput
from shoplink.workflows.write_turns import write_turn

DEFAULT_URL = "sqlite:///shoplink.db"
URL_VARIABLE = "SHOPLINK_DATABASE_URL"
# An execution option of a connection whose transaction only reads: on SQLite it begins
# deferred (a snapshot, no write lock), so reads never queue behind each other or writes.
READ_ONLY = "shoplink_read_only"
# ... and one that runs a single statement: SQLite runs it in a transaction of its own (its
# autocommit mode), so no BEGIN and no ROLLBACK around it.
SINGLE_STATEMENT = "shoplink_single_statement"
# Where a SQLite connection leaves how long its last BEGIN waited (for the write turn and
# the write lock), for api.timing to report.
BEGIN_WAITED = "shoplink_begin_waited"
# Where a SQLite connection remembers its page cache's size while widen_page_cache holds it
# wider; it shrinks back when the connection returns to the pool.
CACHE_BEFORE = "shoplink_cache_size_before"
# Where a SQLite connection keeps its turn to write (write_turns) until it goes back to the
# pool.
WRITE_TURN = "shoplink_write_turn"


def database_url(explicit: str | None = None) -> str:
    """`--db`, else SHOPLINK_DATABASE_URL, else the SQLite file in the working directory."""
    return explicit or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise BadInput(f"not a database URL: {redact(raw)}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def redact(raw: str | URL) -> str:
    """The URL with its password masked, safe for errors and logs."""
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def missing_file(raw: str) -> str | None:
    """The path of a SQLite database file that does not exist yet (None: nothing missing)."""
    url = parse_url(raw)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return None if Path(database).exists() else database


def make_engine(raw: str, *, must_exist: bool = False, **kwargs: Any) -> Engine:
    """The engine for `raw`; with `must_exist`, a missing SQLite file is bad input, not
    created (a command that only reads must not leave an empty database behind)."""
    url = parse_url(raw)
    if must_exist and (path := missing_file(raw)) is not None:
        raise BadInput(f"no database file {path}: run `shoplink db upgrade` there to create "
                       f"one, or give --db URL or {URL_VARIABLE}")
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    try:
        engine = sa.create_engine(url, **kwargs)
    except ModuleNotFoundError as failure:
        raise BadInput(f"{redact(raw)} needs the {failure.name} driver, which is not installed: "
                       "pip install 'shoplink[postgres]'") from None
    _ping_when_idle(engine)
    event.listen(engine, "before_cursor_execute", refuse_in_pipeline)
    return engine


# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0
IDLE_SINCE = "shoplink_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that sat in the pool for a
    while: a restarted or vanished server is found before a request uses the connection,
    and under load, where connections come back within milliseconds, no request pays a
    round trip for the ping. A connection that fails its ping is replaced, and every one
    pooled before it too (the server they knew is gone)."""

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(IDLE_SINCE, None)
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return  # new, or back in the pool only a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as failure:
            raise sa.exc.InvalidatePoolError(f"a pooled connection failed its ping: {failure}"
                                             ) from failure


BUSY_SECONDS = 60


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_SECONDS}, **kwargs)
    turn = write_turn(url.database)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # Every transaction that may write takes the write lock up front: SQLite's per-shop
        # lock. A read-only one reads a snapshot and takes no lock.
        options = connection.get_execution_options()
        if options.get(SINGLE_STATEMENT, False):
            return
        read_only = options.get(READ_ONLY, False)
        started = time.perf_counter()
        if not read_only:
            _take_turn(connection.connection.info)
        # On the driver's connection: one statement, without SQLAlchemy's execution around it.
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "BEGIN" if read_only else "BEGIN IMMEDIATE")
        connection.info[BEGIN_WAITED] = time.perf_counter() - started

    def _take_turn(info: dict[str, Any]) -> None:
        # Held from the first write transaction until the connection goes back to the pool
        # (right after the unit of work's commit or rollback). Bounded like the busy
        # handler: past it, SQLite's own wait decides, as before.
        if WRITE_TURN not in info:
            held = turn.take(BUSY_SECONDS)
            if held is not None:
                info[WRITE_TURN] = held

    @event.listens_for(engine, "checkin")
    def _shrink_cache(dbapi_connection: Any, record: Any) -> None:
        before = record.info.pop(CACHE_BEFORE, None) if record is not None else None
        if before is not None and dbapi_connection is not None:
            dbapi_connection.execute(f"PRAGMA cache_size={int(before)}")

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    def _end_turn(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        held = record.info.pop(WRITE_TURN, None) if record is not None else None
        if held is not None:
            turn.give(held)

    return engine


def read_options(engine: Engine) -> dict[str, Any]:
    """Execution options of a connection that only reads.

    PostgreSQL: no transaction. At READ COMMITTED every statement takes its own snapshot,
    inside a transaction or not, so a read's BEGIN and ROLLBACK are two round trips that
    buy nothing. SQLite: a deferred BEGIN, one snapshot of the WAL, no lock."""
    if engine.dialect.name == "postgresql":
        return {"isolation_level": "AUTOCOMMIT"}
    return {READ_ONLY: True}


def single_read(engine: Engine) -> sa.Connection:
    """A connection, without a session, for a read of one statement (`with
    single_read(engine) as c:`): every request authenticates so; a search reads so.
    One statement reads one snapshot by itself: on SQLite it runs without BEGIN."""
    options = read_options(engine)
    if engine.dialect.name == "sqlite":
        options[SINGLE_STATEMENT] = True
    return engine.connect().execution_options(**options)


def widen_page_cache(session: Session, kibibytes: int) -> None:
    """On SQLite, let the session's connection cache up to `kibibytes` of pages until it
    goes back to the pool, where its cache shrinks back to its usual size, freeing them.

    For a transaction that dirties more pages than SQLite's 2 MB default holds (a sweep's
    batch): past it, SQLite spills dirty pages into the WAL mid-transaction and reads them
    back. The size is a bound (pages are allocated as they are read); what is written and
    when it is synced do not change, so durability does not either.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    pooled = session.connection().connection
    sqlite: Any = pooled.driver_connection
    if CACHE_BEFORE not in pooled.info:
        pooled.info[CACHE_BEFORE] = sqlite.execute("PRAGMA cache_size").fetchone()[0]
    sqlite.execute(f"PRAGMA cache_size=-{int(kibibytes)}")
