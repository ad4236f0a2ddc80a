"""What an operator asks of a running shoplink: is the database there, is the schema current,
how many links in each state, what is overdue and for how long, which daemons are alive.

`probe` reaches the database without creating it, upgrading it or hanging."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shoplink.workflows.clock import iso
from shoplink.workflows.db import make_engine, missing_file, parse_url, redact
from shoplink.workflows.lookup import literal_name
from shoplink.workflows.models import DaemonHeartbeat, Link
from shoplink.workflows.schema import HEAD_REVISION, current_revision
from shoplink.workflows.timers import next_deadline
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.vocabulary import STATES, TIMERS

LINKS = Link.__table__
# A daemon that has not beaten for this long is reported as silent (crashed or stuck).
SILENT_AFTER = timedelta(seconds=30)
# Daemon rows older than this are not shown at all.
RECENT = timedelta(minutes=10)
CONNECT_TIMEOUT = 5


def _time(session: Session, raw: Any) -> datetime | None:
    return UTCDateTime().process_result_value(raw, session.get_bind().dialect)


def link_counts(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(LINKS.c.state, sa.func.count()).group_by(LINKS.c.state))
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: count for state, count in rows})
    return counts


def backlog(session: Session, now: datetime) -> dict[str, Any]:
    """Overdue timer transitions not applied yet (a sweep or a command will catch them up)."""
    counts: dict[str, int] = {}
    oldest: datetime | None = None
    for timer in TIMERS:
        deadline = LINKS.c[timer.deadline]
        count, first = session.execute(
            sa.select(sa.func.count(), sa.func.min(deadline)).where(
                LINKS.c.state == literal_name(timer.source),
                deadline <= sa.literal(now, UTCDateTime()))
        ).one()
        counts[timer.event] = count
        first = _time(session, first)
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    age = (now - oldest).total_seconds() if oldest else 0.0
    return {"total": sum(counts.values()), "counts": counts, "oldest_deadline": iso(oldest),
            "oldest_age_seconds": round(age, 3)}


def daemons(session: Session, now: datetime) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(DaemonHeartbeat)
        .where(DaemonHeartbeat.last_beat_at >= now - RECENT)
        .order_by(DaemonHeartbeat.started_at, DaemonHeartbeat.id)
    ).scalars()
    found = []
    for row in rows:
        state = ("stopped" if row.stopped_at else
                 "silent" if now - row.last_beat_at > SILENT_AFTER else "running")
        found.append({"id": row.id, "host": row.host, "pid": row.pid, "state": state,
                      "started_at": iso(row.started_at), "last_beat_at": iso(row.last_beat_at),
                      "stopped_at": iso(row.stopped_at),
                      "last_beat_age_seconds": round((now - row.last_beat_at).total_seconds(), 3)})
    return found


def report(engine: Engine, now: datetime) -> dict[str, Any]:
    """The whole status; raises SQLAlchemy's OperationalError when the database is out of reach."""
    revision = current_revision(engine)
    document: dict[str, Any] = {
        "schema": {"revision": revision, "expected": HEAD_REVISION,
                   "current": revision == HEAD_REVISION},
    }
    if revision != HEAD_REVISION:
        return document
    with Session(engine) as session:
        coming = next_deadline(session, after=now)
        document.update(
            links=link_counts(session),
            backlog=backlog(session, now),
            next_deadline=iso(coming),
            next_deadline_in_seconds=round((coming - now).total_seconds(), 3) if coming else None,
            daemons=daemons(session, now),
        )
    return document


def probe(raw_url: str, now: datetime) -> dict[str, Any]:
    """The status report with `reachable`, or `reachable: False` and the reason."""
    url = parse_url(raw_url)
    if url.get_backend_name() == "sqlite":
        if (database := missing_file(raw_url)) is not None:
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
