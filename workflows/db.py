"""Engines and sessions for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from shoplink.workflows.errors import BadInput

DEFAULT_URL = "sqlite:///shoplink.db"
URL_VARIABLE = "SHOPLINK_DATABASE_URL"


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
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as failure:
        raise BadInput(f"{redact(raw)} needs the {failure.name} driver, which is not installed: "
                       "pip install 'shoplink[postgres]'") from None


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 60}, **kwargs)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # Every transaction takes the write lock up front: SQLite's per-shop lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
