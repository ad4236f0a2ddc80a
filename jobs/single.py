"""SQLite's one-daemon rule: an exclusive flock on a file next to the database.

The kernel drops the lock when the process ends, even after `kill -9`, so a crashed
daemon never blocks the next one. PostgreSQL needs no such lock (SKIP LOCKED).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import Engine

from shoplink.workflows.errors import BadInput

SUFFIX = ".daemon.lock"


def lock_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite database file; None for PostgreSQL or an in-memory database."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database).resolve()
    return path.with_name(path.name + SUFFIX)


def hold_single_daemon(engine: Engine) -> IO[str] | None:
    """Take the daemon lock of a SQLite database, or refuse (exit 2) if another daemon has it.

    Keep the returned file open for the life of the daemon; closing it releases the lock.
    """
    path = lock_path(engine)
    if path is None:
        return None
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise BadInput(
            f"another shoplink daemon (pid {holder}) is already running on "
            f"{path.with_name(path.name.removesuffix(SUFFIX))}; SQLite supports one daemon "
            f"at a time (use PostgreSQL to run several)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
