"""Reaching the database for `shoplink status` without creating it, upgrading it or hanging."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shoplink.workflows.db import make_engine, parse_url, redact
from shoplink.workflows.health import report

CONNECT_TIMEOUT = 5


def probe(raw_url: str, now: datetime) -> dict[str, Any]:
    """The status report with `reachable`, or `reachable: False` and the reason."""
    url = parse_url(raw_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database not in ("", ":memory:") and not Path(database).exists():
            return {"reachable": False, "reason": f"no database file at {database}"}
        options: dict[str, Any] = {}
    else:
        options = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT}}
    engine = make_engine(raw_url, poolclass=sa.pool.NullPool, **options)
    try:
        return {"reachable": True, **report(engine, now)}
    except sa.exc.OperationalError as failure:
        reason = str(failure.orig).strip().splitlines()[0] if failure.orig else str(failure)
        return {"reachable": False, "reason": reason.replace(raw_url, redact(raw_url))}
    finally:
        engine.dispose()
