"""The machine a run happened on, printed above the table (figures drift between machines)."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def postgres_version(url: str) -> str:
    import sqlalchemy as sa

    from shoplink.workflows.db import make_engine

    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SHOW server_version").scalar() or "?"
    finally:
        engine.dispose()


def describe(server_url: str | None) -> str:
    parts = [
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        f"nproc {os.cpu_count()}",
        cpu_model(),
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if server_url and not server_url.startswith("sqlite"):
        parts.append(f"PostgreSQL {postgres_version(server_url)}")
    return "# " + " · ".join(parts)
